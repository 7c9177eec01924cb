// The privacy popup WeChat requires before personal data is collected: the guide's name, a link that opens
// it (wx.openPrivacyContract), WeChat's own agree button (open-type="agreePrivacyAuthorization", which
// records the agreement with WeChat) and a way to decline. Shown by utils/privacy.js.
const privacy = require('../../utils/privacy')

Component({
  data: { show: false, contractName: '《社保网上经办小程序隐私保护指引》' },
  lifetimes: {
    attached() {
      privacy.register(this)
      if (typeof wx.getPrivacySetting === 'function') {
        wx.getPrivacySetting({
          success: (res) => res.privacyContractName && this.setData({ contractName: res.privacyContractName }),
        })
      }
    },
    detached() {
      privacy.unregister(this)
    },
  },
  methods: {
    open() {
      this.setData({ show: true })
    },
    onOpenContract() {
      wx.openPrivacyContract({})
    },
    onAgree(e) {
      this.setData({ show: false })
      privacy.agreed(e.currentTarget.id)
    },
    onDecline() {
      this.setData({ show: false })
      privacy.declined()
    },
  },
})
