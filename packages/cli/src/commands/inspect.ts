// `vdxp inspect`: what a packet is, who sends it to whom, what it carries and whether its signature holds.
// One streaming parse measures the attachments (the parser hashes them and keeps their head for sniffing);
// a second streaming pass verifies the signature, only when the packet carries one. Production packets
// mostly do not (docs/edxml.md), so they are read once; a single shared pass would run the signature reader over
// every attachment of every unsigned packet too.

import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import {
  EXAMPLES_DIR, STATUS_INFO, isEdxmlError, isStatusCode, parsePacket, sniffPayload, verifyPacketSignature,
  type ParsedPacket, type SignatureVerdict,
} from '@vdxp/edxml';
import { CliError, EXIT_CODES, type CliContext } from '../context.ts';
import { fileSlices, resolveFile } from '../files.ts';
import { formatBytes, labelled, refusalLine } from '../format.ts';

export interface AttachmentInspection {
  /** Position in the packet, from 1. */
  index: number;
  name: string | null;
  contentId: string | null;
  declaredType: string | null;
  /** MIME type of what the payload's magic bytes show. */
  sniffedType: string;
  /** Short name of the sniffed format (`pdf`, `zip`, `docx`…, `unknown`). */
  sniffedFormat: string;
  /** Decoded size. */
  bytes: number;
  sha256: string;
}

export type SignatureInspection =
  | { present: false }
  | { present: true; valid: true; algorithm: string; digest: string; signer: string | null; certificateValidTo: string | null }
  | { present: true; valid: false; code: string; reason: string };

/** The `--json` shape; absent fields are null so that the keys are stable. */
export interface Inspection {
  file: string;
  packetBytes: number;
  kind: 'edoc' | 'status';
  from: string;
  fromName: string | null;
  to: string[];
  documentId: string | null;
  code: string | null;
  subject: string | null;
  priority: string | null;
  businessType: string | null;
  statusCode: string | null;
  statusDescription: string | null;
  responseFor: string[];
  attachments: AttachmentInspection[];
  signature: SignatureInspection;
  unknownElements: string[];
}

const PRIORITY_LABELS: Readonly<Record<string, string>> = {
  0: 'thường / normal', 1: 'khẩn / urgent', 2: 'thượng khẩn / very urgent', 3: 'hỏa tốc / express', 4: 'hỏa tốc hẹn giờ / timed express',
};
const BUSINESS_LABELS: Readonly<Record<string, string>> = {
  0: 'mới / new', 1: 'thu hồi / revoke', 2: 'cập nhật / update', 3: 'thay thế / replace',
};

export function registerInspect(program: Command, ctx: CliContext): void {
  program.command('inspect')
    .summary('show what a packet holds / xem nội dung gói tin')
    .description('Show sender, recipients, DocumentId, code, subject, status, attachments (declared and sniffed type, '
      + 'size, sha256) and the signature verdict of each packet. With no file, inspects the example packets shipped with @vdxp/edxml.')
    .argument('[files...]', 'edXML packet files')
    .option('--json', 'one JSON object per packet, one per line')
    .action(async (files: string[], opts: { json?: boolean }) => {
      const paths = files.length > 0 ? files.map((f) => resolveFile(ctx, f)) : examplePaths();
      for (const path of paths) {
        try {
          const inspection = await inspectFile(path);
          if (opts.json) ctx.out(JSON.stringify(inspection));
          else printInspection(ctx, inspection);
        } catch (e) {
          if (!isEdxmlError(e)) throw e;
          ctx.fail(EXIT_CODES.failed);
          if (opts.json) ctx.out(JSON.stringify({ file: path, refusal: { code: e.code, message: e.message, path: e.path ?? null } }));
          else ctx.err(refusalLine(path, e));
        }
      }
    });
}

/** The example packets shipped with @vdxp/edxml, inspected when no file is named (a demo). */
function examplePaths(): string[] {
  try {
    return readdirSync(EXAMPLES_DIR).filter((n) => n.endsWith('.edxml')).sort().map((n) => fileURLToPath(new URL(n, EXAMPLES_DIR)));
  } catch (e) {
    throw new CliError(`no file given and the example folder ${fileURLToPath(EXAMPLES_DIR)} cannot be read: name a packet file`,
      EXIT_CODES.usage, { cause: e });
  }
}

/** Inspects one packet file in bounded memory. Throws EdxmlError when the parser refuses the packet. */
export async function inspectFile(path: string): Promise<Inspection> {
  let packetBytes = 0;
  const packet = await parsePacket(fileSlices(path), { onChunk: (c) => { packetBytes += c.byteLength; } });
  const signature = packet.signaturePresent ? summarizeVerdict(await verifyPacketSignature(fileSlices(path))) : { present: false as const };
  return describe(path, packetBytes, packet, signature);
}

function describe(file: string, packetBytes: number, packet: ParsedPacket, signature: SignatureInspection): Inspection {
  const mh = packet.header.MessageHeader;
  const code = [mh.Code?.CodeNumber, mh.Code?.CodeNotation].filter((s) => s !== undefined && s !== '').join('/');
  return {
    file,
    packetBytes,
    kind: packet.kind,
    from: mh.From.OrganId,
    fromName: mh.From.OrganName ?? null,
    to: mh.To.map((t) => t.OrganId),
    documentId: mh.DocumentId ?? null,
    code: code === '' ? null : code,
    subject: mh.Subject ?? null,
    priority: mh.OtherInfo?.Priority ?? null,
    businessType: packet.header.TraceHeaderList?.Bussiness?.BussinessDocType ?? null,
    statusCode: mh.StatusCode ?? null,
    statusDescription: mh.Description ?? null,
    responseFor: mh.ResponseFor.map((r) => r.DocumentId ?? '').filter((d) => d !== ''),
    attachments: packet.attachments.map((a) => {
      const sniffed = sniffPayload(a.head);
      return {
        index: a.index + 1, name: a.AttachmentName ?? null, contentId: a.ContentId ?? null, declaredType: a.ContentType ?? null,
        sniffedType: sniffed.mime, sniffedFormat: sniffed.type, bytes: a.bytes, sha256: a.sha256,
      };
    }),
    signature,
    unknownElements: packet.unknownElements,
  };
}

/** The last segment of an algorithm URI: `…xmldsig-more#rsa-sha256` → `rsa-sha256`. */
const algorithmName = (uri: string): string => uri.slice(uri.lastIndexOf('#') + 1);

function summarizeVerdict(v: SignatureVerdict): SignatureInspection {
  if (!v.present) return { present: false };
  if (!v.valid) return { present: true, valid: false, code: v.code, reason: v.reason };
  return {
    present: true, valid: true, algorithm: algorithmName(v.signatureAlgorithm), digest: algorithmName(v.digestAlgorithm),
    signer: v.certificate?.subject.replaceAll('\n', ', ') ?? null, certificateValidTo: v.certificate?.validTo ?? null,
  };
}

function signatureLine(s: SignatureInspection): string {
  if (!s.present) return 'không có / none';
  if (!s.valid) return `KHÔNG hợp lệ / INVALID — ${s.code}: ${s.reason}`;
  return `hợp lệ / valid (${s.algorithm}, ${s.digest}${s.signer === null ? '' : `; ${s.signer}`})`;
}

function printInspection(ctx: CliContext, i: Inspection): void {
  const rows: [string, string | null][] = [
    ['Loại gói / Kind', i.kind === 'edoc' ? 'văn bản / edoc' : 'trạng thái / status'],
    ['Nơi gửi / From', i.fromName === null ? i.from : `${i.from} (${i.fromName})`],
  ];
  if (i.kind === 'edoc') {
    rows.push(
      ['Nơi nhận / To', i.to.join(', ') || '—'],
      ['Mã văn bản / DocumentId', i.documentId],
      ['Số, ký hiệu / Code', i.code],
      ['Trích yếu / Subject', i.subject],
      ['Độ khẩn / Priority', i.priority === null ? null : `${i.priority} ${PRIORITY_LABELS[i.priority] ?? ''}`.trim()],
      ['Nghiệp vụ / Business', i.businessType === null ? null : `${i.businessType} ${BUSINESS_LABELS[i.businessType] ?? ''}`.trim()],
    );
  } else {
    const code = i.statusCode ?? '';
    rows.push(
      ['Trạng thái / Status', isStatusCode(code) ? `${code} ${STATUS_INFO[code].vi} / ${STATUS_INFO[code].en}` : code],
      ['Lý do / Description', i.statusDescription],
    );
  }
  if (i.responseFor.length > 0) rows.push(['Trả lời văn bản / Response for', i.responseFor.join(', ')]);
  rows.push(
    ['Chữ ký số / Signature', signatureLine(i.signature)],
    ['Kích thước / Size', formatBytes(i.packetBytes)],
    ['Tệp đính kèm / Attachments', String(i.attachments.length)],
  );
  ctx.out(basename(i.file));
  for (const line of labelled(rows)) ctx.out(`  ${line}`);
  for (const a of i.attachments) {
    ctx.out(`    ${a.index}. ${a.name ?? '(không tên / unnamed)'}${a.contentId === null ? '' : ` <${a.contentId}>`}`);
    ctx.out(`       khai báo / declared: ${a.declaredType ?? '—'} · thực tế / sniffed: ${a.sniffedType} (${a.sniffedFormat})`);
    ctx.out(`       ${formatBytes(a.bytes)} · sha256 ${a.sha256}`);
  }
  if (i.unknownElements.length > 0) ctx.out(`  Phần tử lạ / Unknown elements: ${i.unknownElements.length}`);
  ctx.out('');
}
