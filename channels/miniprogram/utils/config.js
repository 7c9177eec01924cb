// Where the gateway is. In WeChat DevTools during development: the gateway of `make run`
// (http://127.0.0.1:8000, with "不校验合法域名" ticked). For release: the agency's HTTPS domain,
// which must also be listed as a request and download domain in the mini-program's admin console.
module.exports = {
  baseUrl: 'http://127.0.0.1:8000',
}
