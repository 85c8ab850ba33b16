// Payload sniffing: what an attachment really is, from the magic bytes of its first few KiB.
//
// Producers declare ContentType carelessly and one of them zips every file (docs/edxml.md, "What real traffic does"),
// so the hub needs its own opinion of each payload. The sniffer only sees the head the parser keeps
// (limits.attachmentHeadBytes), so every answer here is what the head can honestly tell: a container that the
// head cannot see into is reported as the container (`zip`, `ole2`), never guessed.

import { inflateRawSync, constants as zlibConstants } from 'node:zlib';
import { type EdxmlLimits, withLimits } from './limits.ts';

export const PAYLOAD_TYPES = [
  'pdf', 'zip', 'docx', 'xlsx', 'pptx', 'odt', 'ods', 'odp', 'ole2', 'doc', 'xls', 'ppt',
  'png', 'jpeg', 'gif', 'tiff', 'bmp', 'webp', 'xml', 'text', 'unknown',
] as const;
export type PayloadType = (typeof PAYLOAD_TYPES)[number];

export interface PayloadTypeInfo {
  readonly mime: string;
  /** Usual file extension without the dot; undefined when no single one fits (`ole2`, `unknown`). */
  readonly extension: string | undefined;
}

export interface SniffResult extends PayloadTypeInfo {
  readonly type: PayloadType;
}

export const PAYLOAD_TYPE_INFO: Readonly<Record<PayloadType, PayloadTypeInfo>> = {
  pdf: { mime: 'application/pdf', extension: 'pdf' },
  zip: { mime: 'application/zip', extension: 'zip' },
  docx: { mime: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', extension: 'docx' },
  xlsx: { mime: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', extension: 'xlsx' },
  pptx: { mime: 'application/vnd.openxmlformats-officedocument.presentationml.presentation', extension: 'pptx' },
  odt: { mime: 'application/vnd.oasis.opendocument.text', extension: 'odt' },
  ods: { mime: 'application/vnd.oasis.opendocument.spreadsheet', extension: 'ods' },
  odp: { mime: 'application/vnd.oasis.opendocument.presentation', extension: 'odp' },
  // OLE2 compound files are also .msg, .msi, encrypted Office files…: no extension can be vouched for.
  ole2: { mime: 'application/x-ole-storage', extension: undefined },
  doc: { mime: 'application/msword', extension: 'doc' },
  xls: { mime: 'application/vnd.ms-excel', extension: 'xls' },
  ppt: { mime: 'application/vnd.ms-powerpoint', extension: 'ppt' },
  png: { mime: 'image/png', extension: 'png' },
  jpeg: { mime: 'image/jpeg', extension: 'jpg' },
  gif: { mime: 'image/gif', extension: 'gif' },
  tiff: { mime: 'image/tiff', extension: 'tif' },
  bmp: { mime: 'image/bmp', extension: 'bmp' },
  webp: { mime: 'image/webp', extension: 'webp' },
  xml: { mime: 'application/xml', extension: 'xml' },
  text: { mime: 'text/plain', extension: 'txt' },
  unknown: { mime: 'application/octet-stream', extension: undefined },
};

/**
 * Identifies a payload from its first bytes (at most limits.attachmentHeadBytes of `head` are looked at).
 * An empty head is `unknown`. Text means UTF-8 (BOM allowed) without NULs or C0 controls other than
 * tab, LF, VT, FF, CR and ESC; legacy Vietnamese 8-bit encodings (TCVN3, VNI) and UTF-16 are not text here.
 */
export function sniffPayload(head: Uint8Array, limits?: Partial<EdxmlLimits>): SniffResult {
  const { attachmentHeadBytes } = withLimits(limits);
  const b = Buffer.from(head.buffer, head.byteOffset, Math.min(head.byteLength, attachmentHeadBytes));
  const type = sniffType(b);
  return { type, ...PAYLOAD_TYPE_INFO[type] };
}

function sniffType(b: Buffer): PayloadType {
  if (b.length === 0) return 'unknown';
  if (startsWith(b, PNG)) return 'png';
  if (startsWith(b, JPEG)) return 'jpeg';
  if (startsWith(b, GIF87) || startsWith(b, GIF89)) return 'gif';
  if (TIFF.some((m) => startsWith(b, m))) return 'tiff';
  if (startsWith(b, RIFF) && startsWith(b.subarray(8), WEBP)) return 'webp';
  if (isBmp(b)) return 'bmp';
  if (startsWith(b, OLE2)) return sniffOle2(b);
  if (startsWith(b, ZIP_LOCAL) || startsWith(b, ZIP_EMPTY)) return sniffZip(b);
  // PDF readers accept the header anywhere in the first 1024 bytes, and some producers put junk before it.
  if (PDF.test(b.subarray(0, 1024).toString('latin1'))) return 'pdf';
  return sniffText(b);
}

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff]);
const GIF87 = Buffer.from('GIF87a', 'latin1');
const GIF89 = Buffer.from('GIF89a', 'latin1');
// Little- and big-endian TIFF, then BigTIFF in both byte orders.
const TIFF = [[0x49, 0x49, 0x2a, 0x00], [0x4d, 0x4d, 0x00, 0x2a], [0x49, 0x49, 0x2b, 0x00], [0x4d, 0x4d, 0x00, 0x2b]].map((m) => Buffer.from(m));
const RIFF = Buffer.from('RIFF', 'latin1');
const WEBP = Buffer.from('WEBP', 'latin1');
const OLE2 = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);
const ZIP_LOCAL = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const ZIP_EMPTY = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const PDF = /%PDF-\d/;

function startsWith(b: Buffer, magic: Buffer): boolean {
  return b.length >= magic.length && b.subarray(0, magic.length).equals(magic);
}

// "BM" alone is two letters any text may start with, so the DIB header size must be one that exists.
const BMP_DIB_HEADER_SIZES = new Set([12, 16, 40, 52, 56, 64, 108, 124]);

function isBmp(b: Buffer): boolean {
  return b.length >= 18 && b[0] === 0x42 && b[1] === 0x4d && BMP_DIB_HEADER_SIZES.has(b.readUInt32LE(14));
}

// Stream names that only one Office application writes at the top of its compound file.
const OLE2_STREAMS: readonly (readonly [name: string, type: PayloadType])[] = [
  ['WordDocument', 'doc'], ['Workbook', 'xls'], ['Book', 'xls'], ['PowerPoint Document', 'ppt'],
];
const OLE2_DIR_ENTRY_BYTES = 128;

/**
 * The directory of a compound file may sit anywhere, usually at its end; when it happens to lie in the head,
 * its entries tell Word from Excel from PowerPoint. Entries are 128-byte records aligned to sectors, so
 * aligned slots after the 512-byte header are read as entries and kept only when well formed. A file whose
 * entries name more than one application (an embedded object) stays `ole2`.
 */
function sniffOle2(b: Buffer): PayloadType {
  const found = new Set<PayloadType>();
  for (let off = 512; off + OLE2_DIR_ENTRY_BYTES <= b.length; off += OLE2_DIR_ENTRY_BYTES) {
    const name = ole2EntryName(b.subarray(off, off + OLE2_DIR_ENTRY_BYTES));
    const hit = OLE2_STREAMS.find(([n]) => n === name);
    if (hit) found.add(hit[1]);
  }
  const [only] = found;
  return found.size === 1 && only !== undefined ? only : 'ole2';
}

function ole2EntryName(entry: Buffer): string | undefined {
  const nameBytes = entry.readUInt16LE(64); // UTF-16LE, terminator included
  const objectType = entry[66];
  if (objectType !== 2 || nameBytes < 4 || nameBytes > 64 || nameBytes % 2 !== 0) return undefined; // 2 = stream
  if (entry.readUInt16LE(nameBytes - 2) !== 0) return undefined;
  return entry.subarray(0, nameBytes - 2).toString('utf16le');
}

interface HeadEntry {
  name: string;
  method: number;
  dataStart: number;
  compressedBytes: number | undefined;
}

const OOXML_BY_DIR: readonly (readonly [prefix: string, type: PayloadType])[] = [['word/', 'docx'], ['xl/', 'xlsx'], ['ppt/', 'pptx']];
const ODF_BY_MIME: Readonly<Record<string, PayloadType>> = {
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
  'application/vnd.oasis.opendocument.presentation': 'odp',
};
// [Content_Types].xml names the main part: /word/document.xml, /xl/workbook.xml, /ppt/presentation.xml.
const OOXML_MAIN_PART = /PartName="\/(word|xl|ppt)\//;
const CONTENT_TYPES_INFLATED_BYTES_MAX = 256 * 1024;

function sniffZip(b: Buffer): PayloadType {
  const entries = zipEntriesInHead(b);
  const first = entries[0];
  // OpenDocument puts an uncompressed `mimetype` entry first precisely so that heads can be sniffed.
  if (first?.name === 'mimetype' && first.method === 0 && first.compressedBytes !== undefined) {
    const mime = b.subarray(first.dataStart, first.dataStart + first.compressedBytes).toString('latin1');
    return ODF_BY_MIME[mime] ?? 'zip';
  }
  const kinds = new Set<PayloadType>();
  for (const e of entries) for (const [prefix, type] of OOXML_BY_DIR) if (e.name.startsWith(prefix)) kinds.add(type);
  if (kinds.size === 0) {
    const contentTypes = entries.find((e) => e.name === '[Content_Types].xml');
    if (contentTypes) {
      const dir = OOXML_MAIN_PART.exec(partialEntryText(b, contentTypes))?.[1];
      const hit = OOXML_BY_DIR.find(([prefix]) => prefix === `${dir}/`);
      if (hit) kinds.add(hit[1]);
    }
  }
  const [only] = kinds;
  return kinds.size === 1 && only !== undefined ? only : 'zip';
}

/**
 * The names of the zip entries whose local headers lie in the head. Entries are walked by their declared
 * sizes; once an entry's size is unknown (data descriptor, flag bit 3, as Office and Java write them), the
 * rest of the head is searched for local-header signatures instead, keeping only plausible headers.
 */
function zipEntriesInHead(b: Buffer): HeadEntry[] {
  const entries: HeadEntry[] = [];
  let off = 0;
  while (off + 30 <= b.length && b.readUInt32LE(off) === 0x04034b50) {
    const entry = headEntry(b, off);
    entries.push(entry);
    if (entry.compressedBytes === undefined) return [...entries, ...scanLocalHeaders(b, entry.dataStart)];
    off = entry.dataStart + entry.compressedBytes;
  }
  return entries;
}

function headEntry(b: Buffer, off: number): HeadEntry {
  const flags = b.readUInt16LE(off + 6);
  const method = b.readUInt16LE(off + 8);
  const size = b.readUInt32LE(off + 18);
  const nameLength = b.readUInt16LE(off + 26);
  const extraLength = b.readUInt16LE(off + 28);
  const name = b.subarray(off + 30, Math.min(off + 30 + nameLength, b.length)).toString('utf8');
  const known = (flags & 0x08) === 0 && size !== 0xffffffff;
  return { name, method, dataStart: off + 30 + nameLength + extraLength, compressedBytes: known ? size : undefined };
}

function scanLocalHeaders(b: Buffer, from: number): HeadEntry[] {
  const found: HeadEntry[] = [];
  for (let off = b.indexOf(ZIP_LOCAL, from); off !== -1 && off + 30 <= b.length; off = b.indexOf(ZIP_LOCAL, off + 4)) {
    const nameLength = b.readUInt16LE(off + 26);
    const entry = headEntry(b, off);
    if (nameLength > 0 && nameLength <= 1024 && !/[\p{Cc}\uFFFD]/u.test(entry.name)) found.push(entry);
  }
  return found;
}

/** As much of an entry's text as the head holds: stored bytes, or deflate inflated as far as it goes. */
function partialEntryText(b: Buffer, e: HeadEntry): string {
  const end = e.compressedBytes === undefined ? b.length : Math.min(b.length, e.dataStart + e.compressedBytes);
  const data = b.subarray(e.dataStart, end);
  if (e.method === 0) return data.toString('utf8');
  if (e.method !== 8) return '';
  try {
    // Z_SYNC_FLUSH returns what the truncated stream decodes to instead of failing at its missing end.
    return inflateRawSync(data, { finishFlush: zlibConstants.Z_SYNC_FLUSH, maxOutputLength: CONTENT_TYPES_INFLATED_BYTES_MAX }).toString('utf8');
  } catch {
    return '';
  }
}

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const UTF16_XML_DECLS = [Buffer.from('\ufeff<?xml', 'utf16le'), Buffer.from('\ufeff<?xml', 'utf16le').swap16()];
// C0 controls that plain text does not contain: all but TAB, LF, VT, FF, CR and ESC (ANSI colours in logs).
const BINARY_CONTROL = /[\u0000-\u0008\u000E-\u001A\u001C-\u001F]/;
const XML_DECL = /^\s*<\?xml[\s?]/;
// An element start without a declaration is XML too, but HTML is not (and is not in PAYLOAD_TYPES either).
const XML_ELEMENT = /^\s*<(?!html[\s>])[A-Za-z_:][^\s>/]*[\s>/]/i;

function sniffText(b: Buffer): PayloadType {
  if (UTF16_XML_DECLS.some((m) => startsWith(b, m))) return 'xml';
  const body = startsWith(b, UTF8_BOM) ? b.subarray(3) : b;
  let text: string;
  try {
    // stream: true tolerates a character cut in half at the end of the head.
    text = new TextDecoder('utf-8', { fatal: true }).decode(body, { stream: true });
  } catch {
    // A declared 8-bit encoding (windows-1258…) may make the rest invalid UTF-8, yet it is XML.
    return XML_DECL.test(body.subarray(0, 64).toString('latin1')) ? 'xml' : 'unknown';
  }
  if (BINARY_CONTROL.test(text)) return 'unknown';
  if (XML_DECL.test(text) || XML_ELEMENT.test(text)) return 'xml';
  return 'text';
}
