// 服务网点 (level 2, no login): address, hours and their changes, today's queue, with navigation
// (wx.openLocation) and a call button (wx.makePhoneCall). From GET /api/v1/info/halls.
const api = require('../../utils/api')
const elder = require('../../utils/elder')

// wx.openLocation needs coordinates in GCJ-02: the gateway gives each hall's (latitude, longitude); for a hall
// the operator has not placed yet, a map link may carry them when it is an AMap marker
// (uri.amap.com/marker?position=lng,lat) or names lat/lng; otherwise the address is copied for the person's map
// app instead.
function coordinates(hall) {
  if (typeof hall.latitude === 'number' && typeof hall.longitude === 'number') {
    return { latitude: hall.latitude, longitude: hall.longitude }
  }
  const text = String(hall.map_url || '')
  const marker = /[?&]position=(-?[\d.]+),(-?[\d.]+)/.exec(text) // AMap: longitude first
  if (marker) return { latitude: Number(marker[2]), longitude: Number(marker[1]) }
  const lat = /[?&](?:lat|latitude)=(-?[\d.]+)/.exec(text)
  const lng = /[?&](?:lng|lon|longitude)=(-?[\d.]+)/.exec(text)
  if (lat && lng) return { latitude: Number(lat[1]), longitude: Number(lng[1]) }
  return null
}

Component({
  data: { halls: [], asOf: '', loaded: false, elder: false },
  methods: {
    onShow() {
      elder.sync(this)
    },
    onLoad() {
      return api
        .request({ path: '/api/v1/info/halls', auth: false })
        .then((body) =>
          this.setData({
            asOf: body.as_of,
            loaded: true,
            halls: body.halls.map((h) => ({ ...h, where: coordinates(h) })),
          }),
        )
        .catch(() => this.setData({ loaded: true }))
    },
    hall(e) {
      return this.data.halls.find((h) => h.code === e.currentTarget.dataset.code)
    },
    onNavigate(e) {
      const hall = this.hall(e)
      if (!hall.where) {
        wx.setClipboardData({ data: hall.address })
        wx.showToast({ title: '地址已复制，可在地图中粘贴', icon: 'none' })
        return
      }
      wx.openLocation({ ...hall.where, name: hall.name, address: hall.address, scale: 16 })
    },
    onCall(e) {
      wx.makePhoneCall({ phoneNumber: this.hall(e).phone })
    },
  },
})
