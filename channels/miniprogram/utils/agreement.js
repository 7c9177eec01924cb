// The online service agreement (网上经办服务协议, LD/T 01 6.2.4) the person accepts before binding their
// real-name identity: the same text and version as the web's registration page. The gateway records the
// version at binding and refuses any other (tests/miniprogram/test_wechat_identities.py keeps them equal).
const VERSION = '2026.1'

const CLAUSES = [
  '本平台由社会保险经办机构提供，用于办理社会保险网上业务。查询服务不收取任何费用。',
  '您应使用本人真实身份注册，妥善保管密码和验证码，不得转借他人使用。通过本人账户办理的业务视为本人办理。',
  '我们仅为办理社会保险业务收集、使用您的个人信息，依法采取加密、脱敏等措施保护，不向无关方提供。',
  '您可以在“我的”中查看登录记录和操作记录，发现异常请立即修改密码或拨打 12333。',
  '连续输错密码 5 次，账户将被临时锁定 15 分钟。',
  '通过网上提交的申请，以经办机构的受理和办理结果为准。',
]

module.exports = { VERSION, CLAUSES }
