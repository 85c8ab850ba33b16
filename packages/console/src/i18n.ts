// The console's words, Vietnamese first, English one click away; the choice is kept in localStorage.

export type Lang = 'vi' | 'en';

const WORDS = {
  appName: ['Trục liên thông văn bản — Bảng điều khiển', 'Document-exchange axis — Console'],
  skip: ['Bỏ qua đến nội dung', 'Skip to content'],
  switchLang: ['English', 'Tiếng Việt'],
  loginTitle: ['Đăng nhập', 'Log in'],
  username: ['Tên đăng nhập', 'Username'],
  password: ['Mật khẩu', 'Password'],
  login: ['Đăng nhập', 'Log in'],
  logout: ['Đăng xuất', 'Log out'],
  loginFailed: ['Sai tên đăng nhập hoặc mật khẩu.', 'Wrong username or password.'],
  rateLimited: ['Đăng nhập sai quá nhiều lần; vui lòng thử lại sau.', 'Too many failed logins; try again later.'],
  overview: ['Tổng quan', 'Overview'],
  overdue: ['Chậm xử lý', 'Overdue'],
  documents: ['Văn bản', 'Documents'],
  agencies: ['Cơ quan', 'Agencies'],
  scope: ['Phạm vi', 'Scope'],
  everything: ['Toàn quốc', 'Nationwide'],
  role_leader: ['Lãnh đạo', 'Leader'],
  role_operator: ['Vận hành', 'Operator'],
  role_auditor: ['Kiểm tra', 'Auditor'],
  sentToday: ['Gửi trong năm', 'Sent this year'],
  receivedYear: ['Nhận trong năm', 'Received this year'],
  inFlight: ['Đang chờ nhận', 'In flight'],
  overdueNow: ['Đang chậm xử lý', 'Overdue now'],
  connected: ['Cơ quan đã kết nối', 'Connected bodies'],
  perDay: ['Theo ngày (30 ngày gần nhất)', 'Per day (last 30 days)'],
  perMonth: ['Theo tháng', 'Per month'],
  byGroup: ['Theo cấp', 'By level'],
  sent: ['Gửi', 'Sent'],
  received: ['Nhận', 'Received'],
  group_central: ['Cơ quan trung ương', 'Central bodies'],
  group_province: ['Cấp tỉnh', 'Provinces'],
  group_commune: ['Cấp xã', 'Communes'],
  group_other: ['Cơ quan Đảng, Mặt trận và khác', 'Party, Front and others'],
  updatedAt: ['Cập nhật lúc', 'Updated at'],
  from: ['Từ ngày', 'From'],
  to: ['Đến ngày', 'To'],
  filter: ['Lọc', 'Filter'],
  search: ['Tìm', 'Search'],
  exportCsv: ['Xuất CSV', 'Export CSV'],
  exportXlsx: ['Xuất Excel (.xlsx)', 'Export Excel (.xlsx)'],
  noOverdue: ['Không có văn bản chậm xử lý.', 'No overdue documents.'],
  recipient: ['Cơ quan nhận', 'Recipient'],
  sender: ['Cơ quan gửi', 'Sender'],
  notation: ['Số, ký hiệu', 'Number, notation'],
  subject: ['Trích yếu', 'Subject'],
  receivedAt: ['Nhận lúc', 'Received at'],
  ageDays: ['Số ngày', 'Age (days)'],
  status: ['Trạng thái', 'Status'],
  documentsCount: ['văn bản', 'documents'],
  searchHint: ['Mã văn bản, số ký hiệu, từ trong trích yếu', 'DocumentId, notation, subject words'],
  agencyCode: ['Mã cơ quan', 'Agency code'],
  noResults: ['Không tìm thấy.', 'Nothing found.'],
  attachments: ['Tệp đính kèm', 'Attachments'],
  deliveries: ['Nơi nhận', 'Recipients'],
  timeline: ['Diễn biến', 'Timeline'],
  evidence: ['Chuỗi bằng chứng', 'Evidence chain'],
  evidenceOk: ['Toàn vẹn', 'Intact'],
  evidenceBad: ['Bị sửa đổi!', 'Tampered!'],
  name: ['Tên', 'Name'],
  size: ['Dung lượng', 'Size'],
  state: ['Tình trạng', 'State'],
  more: ['Xem thêm', 'More'],
  traffic: ['Lưu lượng theo tháng', 'Traffic per month'],
  systems: ['Hệ thống phục vụ', 'Systems serving it'],
  predecessors: ['Đã sáp nhập vào cơ quan này', 'Merged into this agency'],
  merge: ['Sáp nhập vào', 'Merge into'],
  successorCode: ['Mã cơ quan kế thừa', 'Successor code'],
  confirm: ['Xác nhận', 'Confirm'],
  cancel: ['Hủy', 'Cancel'],
  mergeWarn: [
    'Văn bản gửi tới {code} từ nay sẽ đến {into}. {n} văn bản đang chờ vẫn ở lại {code} cho tới khi được nhận hoặc hết hạn.',
    'Documents sent to {code} will go to {into} from now on. {n} documents in flight stay with {code} until fetched or expired.',
  ],
  done: ['Đã thực hiện.', 'Done.'],
  error: ['Lỗi', 'Error'],
  outOfScope: ['Nằm ngoài phạm vi của tài khoản.', 'Outside your scope.'],
  loading: ['Đang tải…', 'Loading…'],
  open: ['Mở', 'Open'],
  systemsPage: ['Hệ thống', 'Systems'],
  healthPage: ['Vận hành', 'Health'],
  rotate: ['Cấp lại khóa', 'Rotate credentials'],
  rotateConfirm: ['Cấp khóa mới cho {id}? Khóa cũ hết hiệu lực ngay.', 'Issue new credentials for {id}? The old ones stop working at once.'],
  shownOnce: ['Lưu lại ngay: khóa mới chỉ hiện lần này.', 'Save these now: the new credentials are shown only this once.'],
  deadLetters: ['Gửi lỗi (dead letter)', 'Dead letters'],
  queues: ['Hàng đợi theo trạng thái', 'Queues by state'],
  reportsPage: ['Báo cáo', 'Reports'],
  reportTitle: ['Báo cáo tình hình gửi, nhận văn bản điện tử tháng {month}', 'Electronic documents sent and received, {month}'],
  month: ['Tháng', 'Month'],
  show: ['Xem', 'Show'],
  print: ['In báo cáo', 'Print'],
  reportScope: ['Phạm vi: {scope} · Số liệu từ {from} đến {to} · Lập lúc {at}', 'Scope: {scope} · Figures from {from} to {to} · Made at {at}'],
  sentMonth: ['Văn bản gửi', 'Documents sent'],
  receivedMonth: ['Văn bản nhận', 'Documents received'],
  overdueMonthEnd: ['Chậm xử lý cuối kỳ', 'Overdue at period end'],
  medianAccept: ['Thời gian tiếp nhận (trung vị)', 'Time to acceptance (median)'],
  medianFinish: ['Thời gian hoàn thành (trung vị)', 'Time to finish (median)'],
  hours: ['{n} giờ', '{n} h'],
  notComputable: ['chưa tính được', 'not computable'],
  answersNote: [
    'Tính trên {n} lượt gửi trong tháng: {a} đã tiếp nhận (01/03), {f} đã hoàn thành (06).',
    'Over {n} deliveries of the month: {a} accepted (01/03), {f} finished (06).',
  ],
  truncatedNote: ['(chỉ tính phần mới nhất: vượt giới hạn)', '(newest part only: over the limit)'],
  perDayMonth: ['Theo ngày trong tháng', 'Per day of the month'],
  level: ['Cấp', 'Level'],
  topSenders: ['Cơ quan gửi nhiều nhất', 'Top senders'],
  topRecipients: ['Cơ quan nhận nhiều nhất', 'Top recipients'],
  overdueByAgency: ['Chậm xử lý cuối kỳ theo cơ quan nhận', 'Overdue at period end by recipient'],
  count: ['Số lượng', 'Count'],
  oldestDays: ['Lâu nhất (ngày)', 'Oldest (days)'],
  total: ['Tổng', 'Total'],
  none: ['Không có.', 'None.'],
  databaseSize: ['Dung lượng cơ sở dữ liệu', 'Database size'],
  packetBytes: ['Gói tin đang lưu', 'Packets kept'],
  diskFree: ['Ổ đĩa còn trống (thư mục dữ liệu)', 'Disk free (data folder)'],
  recentErrors: ['Lỗi gần đây', 'Recent errors'],
  recentErrorsNote: [
    '{n} lượt từ chối gần nhất của máy chủ này (giữ trong bộ nhớ, mất khi khởi động lại; mỗi máy chủ có danh sách riêng).',
    'The last {n} refusals of this node (kept in memory, lost at restart; each node keeps its own).',
  ],
  time: ['Thời điểm', 'Time'],
  errorCode: ['Mã lỗi', 'Error code'],
  call: ['Lệnh gọi', 'Call'],
  systemId: ['Mã hệ thống', 'System id'],
  agencyCodes: ['Mã cơ quan phục vụ (cách nhau bởi dấu phẩy)', 'Agency codes it serves (comma-separated)'],
  addSystem: ['Thêm hệ thống', 'Add a system'],
  addSystemConfirm: ['Thêm hệ thống {id} phục vụ {n} cơ quan? Khóa truy cập chỉ hiện một lần.', 'Add system {id} serving {n} agencies? Its credentials are shown only once.'],
  history: ['Lịch sử thay đổi', 'History of changes'],
  noHistory: ['Chưa có thay đổi nào được ghi.', 'No change recorded.'],
  historyAdded: ['Thêm vào danh bạ: {name}', 'Added to the registry: {name}'],
  historyRenamed: ['Đổi tên: {from} → {to}', 'Renamed: {from} → {to}'],
  historyMerged: ['Sáp nhập vào {successor}', 'Merged into {successor}'],
  historyDissolved: ['Giải thể (không có cơ quan kế thừa)', 'Dissolved (no successor)'],
  historyDissolvedInto: ['Giải thể, kế thừa bởi {successor}', 'Dissolved, succeeded by {successor}'],
  historyPredecessor: ['{name} ({code}) {kind} vào cơ quan này', '{name} ({code}) {kind} into this agency'],
  kindMerged: ['sáp nhập', 'merged'],
  kindDissolved: ['giải thể, chuyển', 'dissolved'],
  effectiveFrom: ['hiệu lực từ', 'effective'],
  effectiveDate: ['Ngày hiệu lực (để trống: hôm nay)', 'Effective date (empty: today)'],
  rename: ['Đổi tên', 'Rename'],
  newName: ['Tên mới', 'New name'],
  renameWarn: [
    'Đổi tên {code} từ “{from}” thành “{to}”? Mã không đổi nên văn bản vẫn gửi, nhận như cũ; thay đổi được ghi vào lịch sử và chuỗi bằng chứng.',
    'Rename {code} from “{from}” to “{to}”? The code stays, so documents route as before; the change goes into its history and the evidence trail.',
  ],
  dissolve: ['Giải thể', 'Dissolve'],
  successorOptional: ['Cơ quan kế thừa (không bắt buộc)', 'Successor (optional)'],
  dissolveWarn: [
    'Giải thể {code} không có cơ quan kế thừa: văn bản mới gửi tới {code} sẽ bị từ chối. {n} văn bản đang chờ vẫn ở lại {code} cho tới khi được nhận hoặc hết hạn.',
    'Dissolve {code} without a successor: new documents sent to {code} will be refused. {n} documents in flight stay with {code} until fetched or expired.',
  ],
  addAgency: ['Thêm cơ quan', 'Add an agency'],
  addAgencyWarn: ['Thêm cơ quan {code} — {name} vào danh bạ?', 'Add agency {code} — {name} to the registry?'],
  agencyAnswersNote: [
    'Tính trên {n} lượt văn bản đến cơ quan này trong 365 ngày qua: {a} đã tiếp nhận (01/03), {f} đã hoàn thành (06).',
    'Over {n} deliveries to this agency in the last 365 days: {a} accepted (01/03), {f} finished (06).',
  ],
  calendarPage: ['Lịch làm việc', 'Calendar'],
  year: ['Năm', 'Year'],
  day: ['Ngày', 'Day'],
  kind: ['Loại', 'Kind'],
  note: ['Ghi chú', 'Note'],
  remove: ['Xóa', 'Remove'],
  statutoryHolidays: ['Ngày nghỉ lễ theo Bộ luật Lao động', 'Statutory holidays (Labour Code)'],
  statutoryNote: [
    'Tính tự động theo Điều 112 Bộ luật Lao động 2019 (Tết theo âm lịch). Ngày nghỉ bù, nghỉ liền kề do Chính phủ quyết định hằng năm: thêm ở dưới.',
    'Computed from the Labour Code 2019, art. 112 (Tết by the lunar calendar). Days in lieu and adjacent days are decided each year by the Government: add them below.',
  ],
  calendarEntries: ['Ngày nghỉ và ngày làm bù do người vận hành thêm', 'Days off and make-up working days added by operators'],
  dayOff: ['Ngày nghỉ', 'Day off'],
  makeUpDay: ['Ngày làm bù', 'Make-up working day'],
  addDay: ['Thêm ngày', 'Add a day'],
  addDayWarn: [
    'Đặt {day} là {kind}? Hạn tiếp nhận của các văn bản đang chờ sẽ được tính lại theo lịch mới.',
    'Make {day} a {kind}? The answer times of documents awaiting an answer are recomputed with the new calendar.',
  ],
  removeDayConfirm: ['Xóa ngày {day} khỏi lịch? Hạn của các văn bản đang chờ sẽ được tính lại.', 'Remove {day} from the calendar? Pending answer times are recomputed.'],
  calendarChanged: ['Đã cập nhật lịch; {n} văn bản được tính lại hạn.', 'Calendar changed; {n} deliveries got a new answer time.'],
  activePoints: ['Điểm kết nối hoạt động 24 giờ qua', 'Connection points active in the last 24 h'],
  servedAgencies: ['Cơ quan phục vụ', 'Agencies served'],
  protocol: ['Giao thức gần nhất', 'Last protocol'],
  protocolNative: ['API gốc (token)', 'Native API (token)'],
  protocolVdxp: ['VDXP', 'VDXP'],
  lastSeen: ['Lần gọi gần nhất', 'Last seen'],
  errorRate: ['Tỷ lệ lỗi 24 giờ (bị từ chối/lượt gọi)', 'Error rate, 24 h (refused/calls)'],
  systemsCaption: [
    'Tỷ lệ lỗi: số lượt gọi bị trục từ chối trên số lượt gọi đã xác thực của hệ thống trong 24 giờ qua (tính theo giờ trọn).',
    'Error rate: the system\'s authenticated calls the hub refused, over its calls, in the last 24 hours (whole hours).',
  ],
} as const satisfies Record<string, readonly [string, string]>;

export type WordKey = keyof typeof WORDS;

let lang: Lang = (localStorage.getItem('vdxp.lang') as Lang | null) ?? 'vi';

export function currentLang(): Lang {
  return lang;
}

export function setLang(next: Lang): void {
  lang = next;
  localStorage.setItem('vdxp.lang', next);
  document.documentElement.lang = next;
}

export function t(key: WordKey, vars: Record<string, string | number> = {}): string {
  const text: string = WORDS[key][lang === 'vi' ? 0 : 1];
  return text.replace(/\{(\w+)\}/g, (_m, k: string) => String(vars[k] ?? ''));
}

export function formatNumber(n: number): string {
  return n.toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB');
}

/** A time as Việt Nam reads it (UTC+7), whatever the browser's zone. */
export function formatTime(iso: string | null): string {
  if (iso === null) return '—';
  return new Date(iso).toLocaleString(lang === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: 'Asia/Ho_Chi_Minh', dateStyle: 'short', timeStyle: 'short' });
}
