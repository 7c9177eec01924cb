// Identity documents a person can bind with (LD/T 01 6.2.3 b; issue 20), as the gateway names them in
// POST /api/v1/auth/wechat/bind/sms (`doc_type`, and for a passport `country`, an ISO 3166-1 alpha-3 code).
// The checks here only spare a round trip; the gateway checks every number itself.
const TYPES = [
  { value: 'resident_id', name: '居民身份证', numberLabel: '身份证号码', maxlength: 18 },
  { value: 'hmt_permit', name: '港澳台居民居住证', numberLabel: '居住证号码', maxlength: 18 },
  { value: 'foreign_pr', name: '外国人永久居留身份证', numberLabel: '永久居留身份证号码', maxlength: 18 },
  { value: 'passport', name: '护照', numberLabel: '护照号码', maxlength: 17 },
]

// Issuing countries most often seen at the agency; the gateway accepts any ISO 3166-1 alpha-3 code.
const COUNTRIES = [
  { code: 'GBR', name: '英国' },
  { code: 'USA', name: '美国' },
  { code: 'DEU', name: '德国' },
  { code: 'FRA', name: '法国' },
  { code: 'ITA', name: '意大利' },
  { code: 'ESP', name: '西班牙' },
  { code: 'NLD', name: '荷兰' },
  { code: 'RUS', name: '俄罗斯' },
  { code: 'KOR', name: '大韩民国' },
  { code: 'JPN', name: '日本' },
  { code: 'SGP', name: '新加坡' },
  { code: 'MYS', name: '马来西亚' },
  { code: 'THA', name: '泰国' },
  { code: 'VNM', name: '越南' },
  { code: 'PHL', name: '菲律宾' },
  { code: 'IND', name: '印度' },
  { code: 'PAK', name: '巴基斯坦' },
  { code: 'MNG', name: '蒙古' },
  { code: 'KAZ', name: '哈萨克斯坦' },
  { code: 'AUS', name: '澳大利亚' },
  { code: 'NZL', name: '新西兰' },
  { code: 'CAN', name: '加拿大' },
  { code: 'BRA', name: '巴西' },
  { code: 'ZAF', name: '南非' },
]

/** The Chinese reason a number cannot be right for the type, or '' (format only; the gateway decides). */
function numberProblem(type, number) {
  if (type.value === 'resident_id' && !/^\d{17}[\dX]$/.test(number)) return '请输入18位身份证号码。'
  if (!number) return `请输入${type.numberLabel}。`
  if (type.value === 'hmt_permit' && !/^8[123]0000\d{11}[\dX]$/.test(number)) {
    return '港澳台居民居住证号码为18位，以810000、820000或830000开头。'
  }
  if (type.value === 'foreign_pr' && !/^(9\d{16}[\dX]|[A-Z]{3}\d{12})$/.test(number)) {
    return '外国人永久居留身份证号码为18位数字（2023年版）或3位字母加12位数字（2017年版）。'
  }
  if (type.value === 'passport' && !/^[A-Z0-9]{5,17}$/.test(number)) return '护照号码应为5至17位字母或数字。'
  return ''
}

module.exports = { TYPES, COUNTRIES, numberProblem }
