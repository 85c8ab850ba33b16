// Business status codes of status packets (docs/edxml.md): the closed set, what each means, who may send it,
// and which may follow which. The hub enforces the transitions; vendors can check before sending.

export const STATUS_CODES = ['01', '02', '03', '04', '05', '06', '13', '15', '16'] as const;
export type StatusCode = (typeof STATUS_CODES)[number];

export const STATUS_PARTIES = ['recipient', 'sender'] as const;
export type StatusParty = (typeof STATUS_PARTIES)[number];

export interface StatusInfo {
  /** Who may send it: the document's recipient, or its original sender (13, recall). */
  sentBy: StatusParty;
  vi: string;
  en: string;
  /** Whether the sender of the status must give a reason in Description. */
  needsReason: boolean;
}

export const STATUS_INFO: Readonly<Record<StatusCode, StatusInfo>> = {
  '01': { sentBy: 'recipient', vi: 'Đã đến', en: 'Arrived', needsReason: false },
  '02': { sentBy: 'recipient', vi: 'Từ chối tiếp nhận', en: 'Rejected', needsReason: true },
  '03': { sentBy: 'recipient', vi: 'Đã tiếp nhận, vào sổ', en: 'Accepted and registered', needsReason: false },
  '04': { sentBy: 'recipient', vi: 'Phân công xử lý', en: 'Assigned for handling', needsReason: false },
  '05': { sentBy: 'recipient', vi: 'Đang xử lý', en: 'Being processed', needsReason: false },
  '06': { sentBy: 'recipient', vi: 'Hoàn thành', en: 'Processing finished', needsReason: false },
  '13': { sentBy: 'sender', vi: 'Yêu cầu thu hồi', en: 'Recall requested', needsReason: true },
  '15': { sentBy: 'recipient', vi: 'Đồng ý thu hồi / cập nhật', en: 'Agrees to the recall or update', needsReason: false },
  '16': { sentBy: 'recipient', vi: 'Từ chối thu hồi / cập nhật', en: 'Refuses the recall or update', needsReason: false },
};

export function isStatusCode(s: string): s is StatusCode {
  return (STATUS_CODES as readonly string[]).includes(s);
}

/**
 * Whether `next` may follow the statuses already recorded for one delivery (`history`, oldest first).
 * Rules (docs/edxml.md, Decree 30/2020): 01 only first; 02 ends the flow and only before 03; 03 before 04–06;
 * 04/05/06 need 03 and never go back past 06; 13 any time before a 15 and not twice while open; 15/16 only
 * answer an open 13. Resending the latest status is not a transition and is left to the caller (idempotency).
 */
export function statusTransitionError(history: readonly StatusCode[], next: StatusCode): string | undefined {
  const has = (c: StatusCode): boolean => history.includes(c);
  const recallOpen = history.lastIndexOf('13') > Math.max(history.lastIndexOf('15'), history.lastIndexOf('16'));
  if (has('15')) return 'the document was recalled (15): no further status applies';
  if (has('02') && next !== '13') return 'the document was rejected (02): no further status applies';
  switch (next) {
    case '01':
      return history.some((c) => c !== '13') ? '01 (arrived) must be the first status' : undefined;
    case '02':
      return has('03') ? '02 (rejected) cannot follow 03 (registered)' : undefined;
    case '03':
      return has('03') ? '03 (registered) was already given' : undefined;
    case '04':
    case '05':
    case '06':
      if (!has('03')) return `${next} needs 03 (registered) first`;
      if (has('06')) return 'processing already finished (06)';
      return undefined;
    case '13':
      return recallOpen ? 'a recall (13) is already waiting for an answer' : undefined;
    case '15':
    case '16':
      return recallOpen ? undefined : `${next} answers a recall or update request (13), and none is open`;
  }
}
