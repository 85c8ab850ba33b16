// Validation of a parsed packet against named rules, in two modes: lenient (what the axis must accept from
// real systems) and strict (the regulation's mandatory fields and formats, for what we and vendors produce).
//
// Every rule has a stable id, a severity per mode and one check; the table below is the whole catalogue.
// Lenient mode reports as errors only what makes a packet undeliverable: an edoc without a recipient, a
// status packet without a known StatusCode or without the document it answers, a BussinessDocType outside
// 0–3. Paths are element paths relative to edXMLHeader, edXMLBody or the root (AttachmentEncoded), with
// 1-based indices as in XPath: `MessageHeader/To[1]/OrganId`; unknown elements keep the parser's full path.

import { isAcceptableOrganId, isLegacyAgencyCode } from './agency-code.ts';
import { isDocumentDate, tryParseDocumentId } from './document-id.ts';
import type { AttachmentSummary, MessageHeader, ParsedPacket } from './model.ts';
import { sniffPayload, type SniffResult } from './sniff.ts';
import { STATUS_INFO, isStatusCode } from './status.ts';

export const VALIDATION_MODES = ['lenient', 'strict'] as const;
export type ValidationMode = (typeof VALIDATION_MODES)[number];

export const SEVERITIES = ['error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface Message {
  vi: string;
  en: string;
}

export interface Finding {
  /** Stable rule id, e.g. `EDXML-HDR-003`. */
  rule: string;
  /** Where: `MessageHeader/To[1]/OrganId`, `TraceHeaderList/Bussiness/BussinessDocType`, `edXMLManifest/Reference[2]`… */
  path: string;
  severity: Severity;
  message: Message;
}

/** One problem a check found: where and what, in both languages. The rule adds its id and severity. */
export interface Hit extends Message {
  path: string;
}

export interface Rule {
  id: string;
  severity: Readonly<Record<ValidationMode, Severity>>;
  /** What the rule asks for, in both languages (for documentation and listings). */
  title: Message;
  check: (packet: ParsedPacket) => Hit[];
}

const TIMESTAMP = /^(\d{4}\/\d{2}\/\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const CODE_NUMBER = /^\d+$/;
const NOTATION = /^\S+$/;
const INTEGER = /^-?\d+$/;
const PRIORITIES = ['0', '1', '2', '3', '4'] as const;
const DIRECTIONS = ['true', 'false'] as const;
const BUSINESS_DOC_TYPES = ['0', '1', '2', '3'] as const;
const RECEIVER_TYPES = ['0', '1'] as const;

/** A real instant written yyyy/MM/dd HH:mm:ss, 24-hour clock (TraceHeader and status Timestamp). */
export function isEdxmlTimestamp(s: string): boolean {
  const m = TIMESTAMP.exec(s);
  return m !== null && isDocumentDate(m[1] ?? '') && Number(m[2]) < 24 && Number(m[3]) < 60 && Number(m[4]) < 60;
}

function oneOf(set: readonly string[], v: string): boolean {
  return set.includes(v);
}

function hit(path: string, vi: string, en: string): Hit {
  return { path, vi, en };
}

const q = (s: string): string => `“${s}”`;
const edoc = (p: ParsedPacket): boolean => p.kind === 'edoc';
const status = (p: ParsedPacket): boolean => p.kind === 'status';
const mh = (p: ParsedPacket): MessageHeader => p.header.MessageHeader;
const present = (s: string | undefined): s is string => s !== undefined && s !== '';
const empty = (s: string | undefined): boolean => !present(s);

/** The OrganIds a packet names as parties: From, each To, each ResponseFor. */
function partyIds(m: MessageHeader): { path: string; id: string }[] {
  const out = [{ path: 'MessageHeader/From/OrganId', id: m.From.OrganId }];
  m.To.forEach((t, i) => { if (present(t.OrganId)) out.push({ path: `MessageHeader/To[${i + 1}]/OrganId`, id: t.OrganId }); });
  m.ResponseFor.forEach((r, i) => {
    if (present(r.OrganId)) out.push({ path: `MessageHeader/ResponseFor[${i + 1}]/OrganId`, id: r.OrganId });
  });
  return out;
}

function documentIds(m: MessageHeader): { path: string; id: string }[] {
  const out: { path: string; id: string }[] = [];
  if (present(m.DocumentId)) out.push({ path: 'MessageHeader/DocumentId', id: m.DocumentId });
  m.ResponseFor.forEach((r, i) => {
    if (present(r.DocumentId)) out.push({ path: `MessageHeader/ResponseFor[${i + 1}]/DocumentId`, id: r.DocumentId });
  });
  return out;
}

function dates(m: MessageHeader): { path: string; value: string }[] {
  const out: { path: string; value: string }[] = [];
  if (m.PromulgationInfo?.PromulgationDate !== undefined) {
    out.push({ path: 'MessageHeader/PromulgationInfo/PromulgationDate', value: m.PromulgationInfo.PromulgationDate });
  }
  if (m.DueDate !== undefined) out.push({ path: 'MessageHeader/DueDate', value: m.DueDate });
  m.ResponseFor.forEach((r, i) => {
    if (r.PromulgationDate !== undefined) out.push({ path: `MessageHeader/ResponseFor[${i + 1}]/PromulgationDate`, value: r.PromulgationDate });
  });
  return out;
}

/** Lowercase MIME type without parameters (`Application/PDF; name=x` → `application/pdf`). */
function mimeOf(s: string | undefined): string {
  return (s ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

// Declared types that name the same thing as a sniffed one, beyond the sniffer's own MIME type.
const MIME_ALIASES: Readonly<Record<string, readonly string[]>> = {
  'application/zip': ['application/x-zip-compressed', 'application/x-zip', 'multipart/x-zip'],
  'application/pdf': ['application/x-pdf'],
  'image/jpeg': ['image/jpg', 'image/pjpeg'],
  'image/bmp': ['image/x-bmp', 'image/x-ms-bmp'],
  'image/tiff': ['image/tif'],
  'application/xml': ['text/xml', 'text/plain'],
};
// The head cannot see inside these containers, so any type they can hold is consistent with them.
const CONTAINER_MEMBERS: Readonly<Record<string, RegExp>> = {
  zip: /^application\/(vnd\.openxmlformats-officedocument\.|vnd\.oasis\.opendocument\.|vnd\.ms-|java-archive|epub\+zip)/,
  ole2: /^application\/(msword|vnd\.ms-|vnd\.visio|x-msi)/,
};

/** Whether a declared ContentType is consistent with what the payload's head shows; unknown payloads always are. */
function declaredFits(declared: string, sniffed: SniffResult): boolean {
  if (sniffed.type === 'unknown' || declared === 'application/octet-stream') return true;
  if (declared === sniffed.mime || (MIME_ALIASES[sniffed.mime] ?? []).includes(declared)) return true;
  if (sniffed.type === 'text' && declared.startsWith('text/')) return true;
  if (sniffed.type === 'xml' && declared.endsWith('+xml')) return true;
  return CONTAINER_MEMBERS[sniffed.type]?.test(declared) ?? false;
}

function attachmentPath(a: AttachmentSummary, field?: string): string {
  return `AttachmentEncoded/Attachment[${a.index + 1}]${field === undefined ? '' : `/${field}`}`;
}

const lenientWarning = { lenient: 'warning', strict: 'error' } as const;
const lenientInfo = { lenient: 'info', strict: 'error' } as const;
const alwaysError = { lenient: 'error', strict: 'error' } as const;

/** The catalogue: every rule the validator knows, in report order. Ids are stable; retire, never reuse. */
export const RULES = [
  {
    id: 'EDXML-HDR-001', severity: alwaysError,
    title: { vi: 'Văn bản phải có ít nhất một nơi nhận', en: 'An edoc needs at least one recipient' },
    check: (p) => edoc(p) && !mh(p).To.some((t) => !empty(t.OrganId))
      ? [hit('MessageHeader/To', 'Văn bản không có nơi nhận (To/OrganId): trục không thể chuyển đi.',
        'The document has no recipient (To/OrganId): the axis cannot deliver it.')]
      : [],
  },
  {
    id: 'EDXML-HDR-002', severity: lenientWarning,
    title: { vi: 'Mỗi nơi nhận có một mã định danh dùng được, không lặp', en: 'Each recipient has a usable OrganId, once' },
    check: (p) => {
      const seen = new Set<string>();
      return mh(p).To.flatMap((t, i) => {
        const path = `MessageHeader/To[${i + 1}]/OrganId`;
        if (empty(t.OrganId)) return [hit(path, `Nơi nhận thứ ${i + 1} không có mã định danh (OrganId).`, `Recipient ${i + 1} has no OrganId.`)];
        if (!isAcceptableOrganId(t.OrganId)) {
          return [hit(path, `Mã định danh ${q(t.OrganId)} chứa khoảng trắng, ký tự điều khiển hoặc quá dài.`,
            `OrganId ${q(t.OrganId)} holds spaces or control characters, or is too long.`)];
        }
        if (seen.has(t.OrganId)) return [hit(path, `Nơi nhận ${q(t.OrganId)} bị lặp.`, `Recipient ${q(t.OrganId)} is listed twice.`)];
        seen.add(t.OrganId);
        return [];
      });
    },
  },
  {
    id: 'EDXML-HDR-003', severity: lenientInfo,
    title: { vi: 'Mã định danh theo dạng QCVN 102 (NNN.NN.NN.XNN)', en: 'Agency codes in the legacy QCVN 102 form (NNN.NN.NN.XNN)' },
    check: (p) => partyIds(mh(p)).filter(({ id }) => !isLegacyAgencyCode(id)).map(({ path, id }) => hit(path,
      `Mã định danh ${q(id)} không theo dạng QCVN 102 NNN.NN.NN.XNN (ví dụ 000.00.00.G22).`,
      `Agency code ${q(id)} is not of the legacy QCVN 102 form NNN.NN.NN.XNN (e.g. 000.00.00.G22).`)),
  },
  {
    id: 'EDXML-HDR-004', severity: lenientWarning,
    title: { vi: 'Văn bản có mã văn bản (DocumentId)', en: 'An edoc carries a DocumentId' },
    check: (p) => edoc(p) && empty(mh(p).DocumentId)
      ? [hit('MessageHeader/DocumentId', 'Thiếu mã văn bản (DocumentId).', 'The DocumentId is missing.')]
      : [],
  },
  {
    id: 'EDXML-HDR-005', severity: lenientWarning,
    title: { vi: 'DocumentId theo dạng OrganId,yyyy/MM/dd,Số/Ký hiệu', en: 'DocumentId of the form OrganId,yyyy/MM/dd,Number/Notation' },
    check: (p) => documentIds(mh(p)).filter(({ id }) => tryParseDocumentId(id) === undefined).map(({ path, id }) => hit(path,
      `Mã văn bản ${q(id)} không theo dạng OrganId,yyyy/MM/dd,Số/Ký hiệu (ví dụ 000.00.00.G22,2015/09/30,7816/VPCP-TTĐT).`,
      `DocumentId ${q(id)} is not of the form OrganId,yyyy/MM/dd,Number/Notation (e.g. 000.00.00.G22,2015/09/30,7816/VPCP-TTĐT).`)),
  },
  {
    id: 'EDXML-HDR-006', severity: { lenient: 'info', strict: 'warning' },
    title: { vi: 'DocumentId khớp nơi gửi, ngày ban hành, số và ký hiệu', en: 'DocumentId agrees with From, PromulgationDate and Code' },
    check: (p) => {
      const m = mh(p);
      const parts = edoc(p) && present(m.DocumentId) ? tryParseDocumentId(m.DocumentId) : undefined;
      if (parts === undefined) return [];
      const { organId: organ, date, number: num, notation } = parts;
      const out: Hit[] = [];
      const path = 'MessageHeader/DocumentId';
      if (organ !== m.From.OrganId) {
        out.push(hit(path, `Mã văn bản ghi nơi ban hành ${q(organ)}, khác nơi gửi ${q(m.From.OrganId)}.`,
          `The DocumentId names ${q(organ)} as issuer, not the sender ${q(m.From.OrganId)}.`));
      }
      const promulgated = m.PromulgationInfo?.PromulgationDate;
      if (promulgated !== undefined && promulgated !== date) {
        out.push(hit(path, `Ngày trong mã văn bản (${date}) khác ngày ban hành (${promulgated}).`,
          `The date in the DocumentId (${date}) differs from PromulgationDate (${promulgated}).`));
      }
      const code = m.Code;
      if (code?.CodeNumber !== undefined && code.CodeNotation !== undefined
        && (num !== code.CodeNumber || notation !== code.CodeNotation)) {
        out.push(hit(path, `Số/ký hiệu trong mã văn bản (${num}/${notation}) khác Code (${code.CodeNumber}/${code.CodeNotation}).`,
          `Number/notation in the DocumentId (${num}/${notation}) differ from Code (${code.CodeNumber}/${code.CodeNotation}).`));
      }
      return out;
    },
  },
  {
    id: 'EDXML-HDR-007', severity: lenientWarning,
    title: { vi: 'Văn bản có số (chữ số) và ký hiệu (không khoảng trắng)', en: 'An edoc has a number (digits) and a notation (no spaces)' },
    check: (p) => {
      if (!edoc(p)) return [];
      const { CodeNumber: number, CodeNotation: notation } = mh(p).Code ?? {};
      const out: Hit[] = [];
      if (!present(number)) out.push(hit('MessageHeader/Code/CodeNumber', 'Thiếu số văn bản (CodeNumber).', 'The document number (CodeNumber) is missing.'));
      else if (!CODE_NUMBER.test(number)) {
        out.push(hit('MessageHeader/Code/CodeNumber', `Số văn bản ${q(number)} không phải là số.`, `The document number ${q(number)} is not made of digits.`));
      }
      if (!present(notation)) out.push(hit('MessageHeader/Code/CodeNotation', 'Thiếu ký hiệu văn bản (CodeNotation).', 'The document notation (CodeNotation) is missing.'));
      else if (!NOTATION.test(notation)) {
        out.push(hit('MessageHeader/Code/CodeNotation', `Ký hiệu văn bản ${q(notation)} chứa khoảng trắng.`, `The document notation ${q(notation)} contains spaces.`));
      }
      return out;
    },
  },
  {
    id: 'EDXML-HDR-008', severity: lenientWarning,
    title: { vi: 'Văn bản có trích yếu (Subject)', en: 'An edoc has a Subject' },
    check: (p) => edoc(p) && empty(mh(p).Subject)
      ? [hit('MessageHeader/Subject', 'Thiếu trích yếu nội dung (Subject).', 'The Subject is missing.')]
      : [],
  },
  {
    id: 'EDXML-HDR-009', severity: lenientInfo,
    title: { vi: 'Văn bản có nơi và ngày ban hành (PromulgationInfo)', en: 'An edoc has PromulgationInfo: Place and PromulgationDate' },
    check: (p) => {
      if (!edoc(p)) return [];
      const info = mh(p).PromulgationInfo;
      const out: Hit[] = [];
      if (empty(info?.Place)) out.push(hit('MessageHeader/PromulgationInfo/Place', 'Thiếu địa danh ban hành (PromulgationInfo/Place).', 'The place of promulgation (PromulgationInfo/Place) is missing.'));
      if (empty(info?.PromulgationDate)) {
        out.push(hit('MessageHeader/PromulgationInfo/PromulgationDate', 'Thiếu ngày ban hành (PromulgationInfo/PromulgationDate).',
          'The promulgation date (PromulgationInfo/PromulgationDate) is missing.'));
      }
      return out;
    },
  },
  {
    id: 'EDXML-HDR-010', severity: lenientWarning,
    title: { vi: 'Ngày tháng theo dạng yyyy/MM/dd và là ngày có thật', en: 'Dates are real calendar dates written yyyy/MM/dd' },
    check: (p) => dates(mh(p)).filter(({ value }) => value !== '' && !isDocumentDate(value)).map(({ path, value }) => hit(path,
      `Ngày ${q(value)} không theo dạng yyyy/MM/dd hoặc không có thật.`, `Date ${q(value)} is not a real date written yyyy/MM/dd.`)),
  },
  {
    id: 'EDXML-HDR-011', severity: lenientInfo,
    title: { vi: 'Văn bản có thông tin người ký (SignerInfo: Position, FullName)', en: 'An edoc has SignerInfo: Position and FullName' },
    check: (p) => {
      if (!edoc(p)) return [];
      const signer = mh(p).SignerInfo;
      const out: Hit[] = [];
      if (empty(signer?.Position)) out.push(hit('MessageHeader/SignerInfo/Position', 'Thiếu chức vụ người ký (SignerInfo/Position).', "The signer's position (SignerInfo/Position) is missing."));
      if (empty(signer?.FullName)) out.push(hit('MessageHeader/SignerInfo/FullName', 'Thiếu họ tên người ký (SignerInfo/FullName).', "The signer's name (SignerInfo/FullName) is missing."));
      return out;
    },
  },
  {
    id: 'EDXML-HDR-012', severity: lenientWarning,
    title: { vi: 'Độ khẩn (Priority) là 0–4', en: 'Priority is 0–4' },
    check: (p) => {
      const v = mh(p).OtherInfo?.Priority;
      return v !== undefined && !oneOf(PRIORITIES, v)
        ? [hit('MessageHeader/OtherInfo/Priority', `Độ khẩn ${q(v)} không thuộc 0–4 (thường, khẩn, thượng khẩn, hỏa tốc, hỏa tốc hẹn giờ).`,
          `Priority ${q(v)} is not 0–4 (normal, urgent, very urgent, express, timed express).`)]
        : [];
    },
  },
  {
    id: 'EDXML-HDR-013', severity: lenientWarning,
    title: { vi: 'Direction là true hoặc false', en: 'Direction is true or false' },
    check: (p) => {
      const v = mh(p).OtherInfo?.Direction;
      return v !== undefined && !oneOf(DIRECTIONS, v)
        ? [hit('MessageHeader/OtherInfo/Direction', `Direction ${q(v)} phải là true hoặc false.`, `Direction ${q(v)} must be true or false.`)]
        : [];
    },
  },
  {
    id: 'EDXML-HDR-014', severity: lenientWarning,
    title: { vi: 'SteeringType là số nguyên', en: 'SteeringType is an integer' },
    check: (p) => {
      const v = mh(p).SteeringType;
      return v !== undefined && !INTEGER.test(v)
        ? [hit('MessageHeader/SteeringType', `SteeringType ${q(v)} không phải số nguyên.`, `SteeringType ${q(v)} is not an integer.`)]
        : [];
    },
  },
  {
    id: 'EDXML-TRC-001', severity: lenientInfo,
    title: { vi: 'Văn bản có TraceHeaderList với ít nhất một TraceHeader', en: 'An edoc has a TraceHeaderList with at least one TraceHeader' },
    check: (p) => edoc(p) && (p.header.TraceHeaderList?.TraceHeader.length ?? 0) === 0
      ? [hit('TraceHeaderList/TraceHeader', 'Thiếu vết xử lý (TraceHeaderList/TraceHeader).', 'The trace (TraceHeaderList/TraceHeader) is missing.')]
      : [],
  },
  {
    id: 'EDXML-TRC-002', severity: lenientWarning,
    title: { vi: 'Mỗi TraceHeader có OrganId và Timestamp yyyy/MM/dd HH:mm:ss', en: 'Each TraceHeader has an OrganId and a Timestamp yyyy/MM/dd HH:mm:ss' },
    check: (p) => (p.header.TraceHeaderList?.TraceHeader ?? []).flatMap((t, i) => {
      const at = `TraceHeaderList/TraceHeader[${i + 1}]`;
      const out: Hit[] = [];
      if (empty(t.OrganId)) out.push(hit(`${at}/OrganId`, `TraceHeader thứ ${i + 1} thiếu OrganId.`, `TraceHeader ${i + 1} has no OrganId.`));
      if (t.Timestamp === undefined || !isEdxmlTimestamp(t.Timestamp)) {
        out.push(hit(`${at}/Timestamp`, `Thời điểm ${q(t.Timestamp ?? '')} không theo dạng yyyy/MM/dd HH:mm:ss.`,
          `Timestamp ${q(t.Timestamp ?? '')} is not a real instant written yyyy/MM/dd HH:mm:ss.`));
      }
      return out;
    }),
  },
  {
    id: 'EDXML-BUS-001', severity: alwaysError,
    title: { vi: 'BussinessDocType là 0–3', en: 'BussinessDocType is 0–3' },
    check: (p) => {
      const v = p.header.TraceHeaderList?.Bussiness?.BussinessDocType;
      return v !== undefined && !oneOf(BUSINESS_DOC_TYPES, v)
        ? [hit('TraceHeaderList/Bussiness/BussinessDocType', `Loại nghiệp vụ ${q(v)} không thuộc 0–3 (mới, thu hồi, cập nhật, thay thế): không biết xử lý văn bản thế nào.`,
          `BussinessDocType ${q(v)} is not 0–3 (new, revoke, update, replace): the axis cannot tell what to do with the document.`)]
        : [];
    },
  },
  {
    id: 'EDXML-BUS-002', severity: lenientWarning,
    title: { vi: 'Văn bản cập nhật (2) có ReceiverList hợp lệ', en: 'An update (2) carries a valid ReceiverList' },
    check: (p) => {
      const b = p.header.TraceHeaderList?.Bussiness;
      if (b?.BussinessDocType !== '2') return [];
      const list = b.BussinessDocumentInfo?.ReceiverList ?? [];
      const at = 'TraceHeaderList/Bussiness/BussinessDocumentInfo/ReceiverList';
      if (list.length === 0) {
        return [hit(at, 'Văn bản cập nhật (BussinessDocType 2) thiếu danh sách nơi nhận thay đổi (ReceiverList).',
          'An update (BussinessDocType 2) needs the list of changed recipients (ReceiverList).')];
      }
      return list.flatMap((r, i) => {
        const out: Hit[] = [];
        if (empty(r.OrganId)) out.push(hit(`${at}/Receiver[${i + 1}]/OrganId`, `Receiver thứ ${i + 1} thiếu OrganId.`, `Receiver ${i + 1} has no OrganId.`));
        if (r.ReceiverType === undefined || !oneOf(RECEIVER_TYPES, r.ReceiverType)) {
          out.push(hit(`${at}/Receiver[${i + 1}]/ReceiverType`, `ReceiverType ${q(r.ReceiverType ?? '')} phải là 0 (bỏ) hoặc 1 (thêm).`,
            `ReceiverType ${q(r.ReceiverType ?? '')} must be 0 (removed) or 1 (added).`));
        }
        return out;
      });
    },
  },
  {
    id: 'EDXML-BUS-003', severity: lenientWarning,
    title: { vi: 'Văn bản thay thế (3) có ReplacementInfoList hợp lệ', en: 'A replacement (3) carries a valid ReplacementInfoList' },
    check: (p) => {
      const b = p.header.TraceHeaderList?.Bussiness;
      if (b?.BussinessDocType !== '3') return [];
      const list = b.ReplacementInfoList ?? [];
      const at = 'TraceHeaderList/Bussiness/ReplacementInfoList';
      if (list.length === 0) {
        return [hit(at, 'Văn bản thay thế (BussinessDocType 3) thiếu danh sách văn bản bị thay thế (ReplacementInfoList).',
          'A replacement (BussinessDocType 3) needs the list of replaced documents (ReplacementInfoList).')];
      }
      return list.flatMap((r, i) => {
        const out: Hit[] = [];
        if (empty(r.DocumentId)) out.push(hit(`${at}/ReplacementInfo[${i + 1}]/DocumentId`, `ReplacementInfo thứ ${i + 1} thiếu DocumentId.`, `ReplacementInfo ${i + 1} has no DocumentId.`));
        if ((r.OrganIdList ?? []).length === 0) {
          out.push(hit(`${at}/ReplacementInfo[${i + 1}]/OrganIdList`, `ReplacementInfo thứ ${i + 1} không nêu cơ quan liên quan (OrganIdList).`,
            `ReplacementInfo ${i + 1} names no agency (OrganIdList).`));
        }
        return out;
      });
    },
  },
  {
    id: 'EDXML-STA-001', severity: alwaysError,
    title: { vi: 'Gói trạng thái có mã trạng thái đã biết', en: 'A status packet has a known StatusCode' },
    check: (p) => {
      const v = mh(p).StatusCode;
      return status(p) && (v === undefined || !isStatusCode(v))
        ? [hit('MessageHeader/StatusCode', `Mã trạng thái ${q(v ?? '')} không thuộc 01–06, 13, 15, 16.`, `StatusCode ${q(v ?? '')} is not one of 01–06, 13, 15, 16.`)]
        : [];
    },
  },
  {
    id: 'EDXML-STA-002', severity: alwaysError,
    title: { vi: 'Gói trạng thái nêu văn bản được phản hồi (ResponseFor/DocumentId)', en: 'A status packet names the document it answers (ResponseFor/DocumentId)' },
    check: (p) => status(p) && !mh(p).ResponseFor.some((r) => !empty(r.DocumentId))
      ? [hit('MessageHeader/ResponseFor', 'Gói trạng thái không nêu văn bản được phản hồi (ResponseFor/DocumentId): không biết chuyển cho ai.',
        'The status packet does not name the document it answers (ResponseFor/DocumentId): it cannot be routed.')]
      : [],
  },
  {
    id: 'EDXML-STA-003', severity: lenientWarning,
    title: { vi: 'Trạng thái 02 và 13 nêu lý do (Description)', en: 'Statuses 02 and 13 give a reason (Description)' },
    check: (p) => {
      const m = mh(p);
      const code = m.StatusCode;
      return status(p) && code !== undefined && isStatusCode(code) && STATUS_INFO[code].needsReason && empty(m.Description)
        ? [hit('MessageHeader/Description', `Trạng thái ${code} (${STATUS_INFO[code].vi}) phải nêu lý do trong Description.`,
          `Status ${code} (${STATUS_INFO[code].en}) must give its reason in Description.`)]
        : [];
    },
  },
  {
    id: 'EDXML-STA-004', severity: lenientWarning,
    title: { vi: 'Gói trạng thái có Timestamp yyyy/MM/dd HH:mm:ss', en: 'A status packet has a Timestamp yyyy/MM/dd HH:mm:ss' },
    check: (p) => {
      const v = mh(p).Timestamp;
      return status(p) && (v === undefined || !isEdxmlTimestamp(v))
        ? [hit('MessageHeader/Timestamp', `Thời điểm ${q(v ?? '')} không theo dạng yyyy/MM/dd HH:mm:ss.`, `Timestamp ${q(v ?? '')} is not a real instant written yyyy/MM/dd HH:mm:ss.`)]
        : [];
    },
  },
  {
    id: 'EDXML-STA-005', severity: { lenient: 'info', strict: 'warning' },
    title: { vi: 'Gói trạng thái có thông tin cán bộ (StaffInfo)', en: 'A status packet has StaffInfo' },
    check: (p) => status(p) && empty(mh(p).StaffInfo?.Staff)
      ? [hit('MessageHeader/StaffInfo/Staff', 'Gói trạng thái không nêu cán bộ xử lý (StaffInfo/Staff).', 'The status packet names no staff member (StaffInfo/Staff).')]
      : [],
  },
  {
    id: 'EDXML-STA-006', severity: { lenient: 'info', strict: 'warning' },
    title: { vi: 'Gói trạng thái chỉ có phần đầu', en: 'A status packet is header only' },
    check: (p) => {
      if (!status(p)) return [];
      const extra = [
        mh(p).To.length > 0 ? 'MessageHeader/To' : undefined,
        p.header.TraceHeaderList !== undefined ? 'TraceHeaderList' : undefined,
        p.header.Manifest.length > 0 ? 'edXMLManifest' : undefined,
        p.attachments.length > 0 ? 'AttachmentEncoded' : undefined,
      ].filter((x) => x !== undefined);
      return extra.map((path) => hit(path, `Gói trạng thái không dùng ${path}; phần này bị bỏ qua.`, `A status packet has no use for ${path}; it is ignored.`));
    },
  },
  {
    id: 'EDXML-ATT-001', severity: lenientInfo,
    title: { vi: 'Văn bản có tệp đính kèm', en: 'An edoc has attachments' },
    check: (p) => edoc(p) && p.attachments.length === 0
      ? [hit('AttachmentEncoded', 'Văn bản không có tệp đính kèm.', 'The document has no attachment.')]
      : [],
  },
  {
    id: 'EDXML-ATT-002', severity: lenientWarning,
    title: { vi: 'Tệp đính kèm có ContentId, AttachmentName và ContentType', en: 'Attachments have a ContentId, an AttachmentName and a ContentType' },
    check: (p) => p.attachments.flatMap((a) => (['ContentId', 'AttachmentName', 'ContentType'] as const)
      .filter((f) => empty(a[f]))
      .map((f) => hit(attachmentPath(a, f), `Tệp đính kèm thứ ${a.index + 1} thiếu ${f}.`, `Attachment ${a.index + 1} has no ${f}.`))),
  },
  {
    id: 'EDXML-ATT-003', severity: lenientWarning,
    title: { vi: 'Danh mục (edXMLManifest) khớp các tệp đính kèm theo ContentId', en: 'The manifest matches the attachments by ContentId' },
    check: (p) => {
      if (!edoc(p)) return [];
      const out: Hit[] = [];
      const byId = new Map<string, AttachmentSummary>();
      for (const a of p.attachments) if (present(a.ContentId)) byId.set(a.ContentId, a);
      const referenced = new Set<string>();
      p.header.Manifest.forEach((ref, i) => {
        const path = `edXMLManifest/Reference[${i + 1}]`;
        const id = ref.ContentId ?? '';
        const att = byId.get(id);
        if (att === undefined) {
          out.push(hit(`${path}/ContentId`, `Danh mục tham chiếu ${q(id)} nhưng không có tệp đính kèm nào mang ContentId này.`,
            `The manifest references ${q(id)} but no attachment has that ContentId.`));
          return;
        }
        referenced.add(id);
        if (ref.ContentType !== undefined && att.ContentType !== undefined && mimeOf(ref.ContentType) !== mimeOf(att.ContentType)) {
          out.push(hit(`${path}/ContentType`, `Danh mục ghi ${q(ref.ContentType)} cho ${q(id)}, tệp đính kèm ghi ${q(att.ContentType)}.`,
            `The manifest declares ${q(ref.ContentType)} for ${q(id)}, the attachment ${q(att.ContentType)}.`));
        }
      });
      for (const a of p.attachments) {
        if (present(a.ContentId) && !referenced.has(a.ContentId)) {
          out.push(hit(attachmentPath(a, 'ContentId'), `Tệp đính kèm ${q(a.ContentId)} không có trong danh mục (edXMLManifest).`,
            `Attachment ${q(a.ContentId)} is not in the manifest (edXMLManifest).`));
        }
      }
      return out;
    },
  },
  {
    id: 'EDXML-ATT-004', severity: { lenient: 'warning', strict: 'warning' },
    title: { vi: 'Kiểu tệp khai báo (ContentType) khớp nội dung thực', en: 'The declared ContentType matches the payload' },
    check: (p) => p.attachments.flatMap((a) => {
      const declared = mimeOf(a.ContentType);
      if (declared === '' || a.bytes === 0) return [];
      const sniffed = sniffPayload(a.head);
      return declaredFits(declared, sniffed) ? [] : [hit(attachmentPath(a, 'ContentType'),
        `Tệp ${q(a.AttachmentName ?? String(a.index + 1))} khai báo ${q(declared)} nhưng nội dung là ${sniffed.type} (${sniffed.mime}).`,
        `Attachment ${q(a.AttachmentName ?? String(a.index + 1))} is declared ${q(declared)} but its content is ${sniffed.type} (${sniffed.mime}).`)];
    }),
  },
  {
    id: 'EDXML-XML-001', severity: { lenient: 'info', strict: 'info' },
    title: { vi: 'Không có phần tử lạ hoặc lặp', en: 'No unknown or repeated elements' },
    check: (p) => p.unknownElements.map((path) => hit(path, `Phần tử không thuộc edXML hoặc bị lặp, đã bỏ qua: ${path}.`,
      `Element not part of edXML, or repeated, skipped: ${path}.`)),
  },
] as const satisfies readonly Rule[];

export type RuleId = (typeof RULES)[number]['id'];

/** Checks a parsed packet against every rule; findings come in catalogue order, errors included in both modes. */
export function validatePacket(packet: ParsedPacket, mode: ValidationMode): Finding[] {
  const findings: Finding[] = [];
  for (const rule of RULES as readonly Rule[]) {
    for (const h of rule.check(packet)) {
      findings.push({ rule: rule.id, path: h.path, severity: rule.severity[mode], message: { vi: h.vi, en: h.en } });
    }
  }
  return findings;
}

/** Whether the findings let the packet through: no error-severity finding. */
export function hasErrors(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity === 'error');
}
