// The simulator's packets: each kind is built once with @vdxp/edxml around placeholders, then filled in per
// document by joining strings (building a packet through the streaming builder for each of millions of
// documents would be most of a history run's time). The placeholders hold only codes, DocumentIds, dates and
// numbers the simulator writes itself, all free of XML's special characters, so no escaping is needed; a test
// parses and validates what the templates make.

import { buildPacketBytes, edxmlTimestamp, parsePacket, VN_UTC_OFFSET_MS, type BuildAttachment, type EdxmlHeader } from '@vdxp/edxml';

const mark = (slot: string): string => `@@${slot}@@`;

/** A packet's text cut at its placeholders; fill() joins the parts with the values. */
class Template {
  readonly #parts: string[] = [];
  readonly #slots: string[] = [];
  /** The text with its placeholders, which parse as plain strings (the header template is made from it). */
  readonly text: string;
  constructor(text: string) {
    this.text = text;
    const re = /@@([A-Z0-9]+)@@/g;
    let last = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      this.#parts.push(text.slice(last, m.index));
      this.#slots.push(m[1] as string);
      last = m.index + m[0].length;
    }
    this.#parts.push(text.slice(last));
  }

  fill(values: Readonly<Record<string, string>>): Buffer {
    return Buffer.from(this.fillText(values), 'utf8');
  }

  fillText(values: Readonly<Record<string, string>>, escape: (v: string) => string = (v) => v): string {
    let out = this.#parts[0] ?? '';
    for (let i = 0; i < this.#slots.length; i++) {
      const v = values[this.#slots[i] as string];
      if (v === undefined) throw new Error(`assertion: a value for ${this.#slots[i]}`);
      out += escape(v) + (this.#parts[i + 1] ?? '');
    }
    return out;
  }
}

/**
 * What parsing a filled packet gives as its header, without parsing it: the template packet (placeholders in
 * it) is parsed once, its header written as JSON, and that JSON filled per document like the packet's text.
 */
class HeaderTemplate {
  readonly #json: Template;
  private constructor(json: string) {
    this.#json = new Template(json);
  }

  static async of(packet: Template): Promise<HeaderTemplate> {
    const parsed = await parsePacket((async function* () { yield Buffer.from(packet.text, 'utf8'); })(), { onChunk: () => undefined });
    return new HeaderTemplate(JSON.stringify(parsed.header));
  }

  fill(values: Readonly<Record<string, string>>): EdxmlHeader {
    return JSON.parse(this.#json.fillText(values, (v) => JSON.stringify(v).slice(1, -1))) as EdxmlHeader;
  }
}

// A small PDF-looking attachment, so the packet sniffs as carrying a PDF; its bytes are the same for all.
const ATTACHMENT: BuildAttachment = {
  ContentId: 'vanban.pdf', ContentType: 'application/pdf', AttachmentName: 'vanban.pdf',
  Description: 'Văn bản mô phỏng',
  content: Buffer.from('%PDF-1.4\n% vdxp simulated document\n' + 'x'.repeat(1500) + '\n%%EOF\n'),
};

export const SUBJECTS = [
  'Về việc triển khai kế hoạch chuyển đổi số năm 2026',
  'Về việc báo cáo tình hình kinh tế - xã hội tháng',
  'Về việc tổ chức hội nghị sơ kết công tác quý',
  'Về việc hướng dẫn thực hiện Nghị định',
  'Về việc đôn đốc giải ngân vốn đầu tư công',
  'Về việc phòng, chống thiên tai và tìm kiếm cứu nạn',
  'Về việc góp ý dự thảo văn bản quy phạm pháp luật',
  'Về việc tăng cường công tác cải cách hành chính',
  'Về việc triệu tập họp giao ban',
  'Về việc thực hiện chế độ báo cáo thống kê',
] as const;

export interface EdocFields {
  from: string;
  to: readonly string[];
  /** The edXML DocumentId. */
  documentId: string;
  number: string;
  notation: string;
  subject: number;
  at: number;
  /** 0 new, 1 revoke, 2 update, 3 replace. */
  businessType: 0 | 1 | 2 | 3;
  /** The earlier document a revoke/update/replace is about. */
  relatedDocumentId?: string;
}

export interface StatusFields {
  from: string;
  /** ResponseFor/OrganId: the original sender, or for a recall (13) the recipient. */
  responseOrgan: string;
  documentId: string;
  code: string;
  description: string;
  at: number;
}

const TEMPLATE_SIZES = [1, 2, 3, 4, 5, 8, 12, 16, 24, 34] as const;

/** Packet templates, made once per run. */
export class PacketMaker {
  readonly #edoc = new Map<string, Template>();
  #status: Template | undefined;
  readonly #headers = new Map<Template, HeaderTemplate>();
  readonly #bodies = new Map<Template, Buffer>();

  private constructor() {}

  static async create(): Promise<PacketMaker> {
    const m = new PacketMaker();
    for (const recipients of TEMPLATE_SIZES) {
      for (const bt of [0, 1, 2, 3] as const) m.#edoc.set(`${recipients}:${bt}`, await edocTemplate(recipients, bt));
    }
    m.#status = new Template((await buildPacketBytes({ header: { MessageHeader: {
      From: { OrganId: mark('FROM') }, To: [],
      ResponseFor: [{ OrganId: mark('RFORGAN'), DocumentId: mark('RFDOCID') }],
      StaffInfo: { Staff: 'Văn thư' }, StatusCode: mark('STATUS'), Description: mark('DESC'), Timestamp: mark('TIME'),
    } } })).toString('utf8'));
    return m;
  }

  /** The largest recipient list a single template holds; longer lists are split by the caller. */
  static readonly recipientsMax = 34;

  edoc(f: EdocFields): Buffer {
    const { t, values } = this.#edocValues(f);
    return t.fill(values);
  }

  /**
   * A document's parsed header and a packet body it may share (`vdxp simulate --history`): the body is the
   * first packet of the same shape (recipient count, business type) this maker was asked for, the header is
   * what parsing this document's own packet would give.
   */
  async edocShared(f: EdocFields): Promise<{ header: EdxmlHeader; body: Buffer }> {
    const { t, values } = this.#edocValues(f);
    return this.#shared(t, values);
  }

  async statusShared(f: StatusFields): Promise<{ header: EdxmlHeader; body: Buffer }> {
    if (!this.#status) throw new Error('assertion: created');
    return this.#shared(this.#status, this.#statusValues(f));
  }

  async #shared(t: Template, values: Record<string, string>): Promise<{ header: EdxmlHeader; body: Buffer }> {
    let h = this.#headers.get(t);
    if (!h) {
      h = await HeaderTemplate.of(t);
      this.#headers.set(t, h);
    }
    let body = this.#bodies.get(t);
    if (!body) {
      body = t.fill(values);
      this.#bodies.set(t, body);
    }
    return { header: h.fill(values), body };
  }

  #edocValues(f: EdocFields): { t: Template; values: Record<string, string> } {
    const n = f.to.length;
    const size = TEMPLATE_SIZES.find((s) => s >= n);
    if (size === undefined || n === 0) throw new Error(`assertion: 1 to ${PacketMaker.recipientsMax} recipients per simulated packet`);
    const t = this.#edoc.get(`${size}:${f.businessType}`);
    if (!t) throw new Error('assertion: an edoc template for every size');
    const values: Record<string, string> = {
      FROM: f.from, DOCID: f.documentId, NUMBER: f.number, NOTATION: f.notation,
      SUBJECT: SUBJECTS[f.subject % SUBJECTS.length] as string, TIME: edxmlTimestamp(f.at), DATE: edxmlDate(f.at),
      BTYPE: String(f.businessType), BDOCID: f.relatedDocumentId ?? f.documentId,
    };
    // A template for more recipients than given repeats the last one: the hub reads To as a set.
    for (let i = 0; i < size; i++) values[`TO${i}`] = f.to[Math.min(i, n - 1)] as string;
    return { t, values };
  }

  status(f: StatusFields): Buffer {
    if (!this.#status) throw new Error('assertion: created');
    return this.#status.fill(this.#statusValues(f));
  }

  #statusValues(f: StatusFields): Record<string, string> {
    return { FROM: f.from, RFORGAN: f.responseOrgan, RFDOCID: f.documentId, STATUS: f.code, DESC: f.description, TIME: edxmlTimestamp(f.at) };
  }
}

function edxmlDate(t: number): string {
  return new Date(t + VN_UTC_OFFSET_MS).toISOString().slice(0, 10).replaceAll('-', '/');
}

async function edocTemplate(recipients: number, businessType: 0 | 1 | 2 | 3): Promise<Template> {
  const bytes = await buildPacketBytes({
    header: {
      MessageHeader: {
        From: { OrganId: mark('FROM'), OrganName: 'Đơn vị gửi (mô phỏng)' },
        To: Array.from({ length: recipients }, (_, i) => ({ OrganId: `@@TO${i}@@` })),
        DocumentId: mark('DOCID'),
        Code: { CodeNumber: mark('NUMBER'), CodeNotation: mark('NOTATION') },
        PromulgationInfo: { Place: 'Hà Nội', PromulgationDate: mark('DATE') },
        DocumentType: { Type: '1', TypeName: 'Công văn' },
        Subject: mark('SUBJECT'),
        SignerInfo: { Competence: 'KT. THỦ TRƯỞNG', Position: 'PHÓ THỦ TRƯỞNG', FullName: 'Nguyễn Văn A' },
        ResponseFor: [],
      },
      TraceHeaderList: {
        TraceHeader: [{ OrganId: mark('FROM'), Timestamp: mark('TIME') }],
        ...(businessType === 0 ? {} : {
          Bussiness: {
            BussinessDocType: mark('BTYPE'), BussinessDocReason: 'Mô phỏng', DocumentId: mark('BDOCID'),
            ...(businessType === 3 ? { ReplacementInfoList: [{ DocumentId: mark('BDOCID') }] } : {}),
          },
        }),
      },
    },
    attachments: [ATTACHMENT],
  });
  return new Template(bytes.toString('utf8'));
}
