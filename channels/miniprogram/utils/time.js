// The API gives Beijing time as ISO 8601 without an offset ("2026-11-23T10:00:00"); it is shown as it comes,
// with a space for the "T" and nothing finer than a minute where the page says so (some instants arrive with
// microseconds: "2027-06-03T05:21:21.899548").
function shown(value, precision = 'seconds') {
  if (!value) return ''
  const text = String(value).replace('T', ' ').replace(/\.\d+$/, '')
  return precision === 'minutes' ? text.slice(0, 16) : text
}

module.exports = { shown }
