// Buttons that cannot submit twice: a handler wrapped by once() runs one at a time per page. A second tap
// while the first one's request is still out is ignored (WeChat delivers taps faster than setData can
// disable a button), so a booking, a binding or a message is sent once.
function once(handler) {
  const running = new WeakMap()
  return function guarded(...args) {
    const key = this || guarded
    if (running.has(key)) return running.get(key)
    let result
    try {
      result = Promise.resolve(handler.apply(this, args))
    } catch (err) {
      result = Promise.reject(err)
    }
    const done = result.then(
      (value) => {
        running.delete(key)
        return value
      },
      (err) => {
        running.delete(key)
        throw err
      },
    )
    running.set(key, done)
    return done
  }
}

module.exports = { once }
