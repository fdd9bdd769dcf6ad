// Chinese first, English switchable: every text is written in both languages where it is used, t(zh, en)
// picks one. The choice is kept in localStorage (a preference, not a secret).

const KEY = "lantian.console.lang";
let lang = localStorage.getItem(KEY) === "en" ? "en" : "zh";

export function currentLang() {
  return lang;
}

export function setLang(value) {
  lang = value === "en" ? "en" : "zh";
  localStorage.setItem(KEY, lang);
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
}

export function t(zh, en) {
  return lang === "en" ? en : zh;
}

// A {zh, en} object from the API, or a problem's message_zh/message_en.
export function pick(obj, zhKey = "zh", enKey = "en") {
  if (!obj) return "";
  if (typeof obj === "string") return obj;
  return (lang === "en" ? obj[enKey] || obj[zhKey] : obj[zhKey] || obj[enKey]) || "";
}

export const STATE_NAMES = {
  draft: ["草稿", "Draft"],
  submitted: ["待审核", "Submitted"],
  returned: ["已退回", "Returned"],
  approved: ["已通过", "Approved"],
  rejected: ["已驳回", "Rejected"],
};

export function stateName(state) {
  const names = STATE_NAMES[state];
  return names ? t(names[0], names[1]) : state;
}

export const FLAG_NAMES = {
  far_from_site: ["远离场所", "Far from site"],
  time_outside_window: ["拍摄时间超出检查时段", "Taken outside the time window"],
  edited_by_software: ["经软件编辑", "Edited by software"],
  reused_photo: ["照片重复使用", "Reused photo"],
  no_gps: ["无定位", "No GPS"],
  no_capture_time: ["无拍摄时间", "No capture time"],
};

export function flagName(code) {
  const names = FLAG_NAMES[code];
  return names ? t(names[0], names[1]) : code;
}
