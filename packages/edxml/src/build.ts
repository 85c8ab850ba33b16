// Streaming edXML builder: typed model + attachment byte streams in, packet bytes out, in slices, so a
// 1 GiB attachment never sits in memory. The layout follows VNPT's SDK (prefixed envelope, unprefixed
// AttachmentEncoded) so that every deployed receiver reads what we write.

import { Base64Encoder } from './base64.ts';
import { EdxmlError } from './errors.ts';
import type { AttachmentHeader, EdxmlHeader, ManifestReference, MessageHeader, PacketKind } from './model.ts';
import { EDXML_NS } from './model.ts';
import type { ByteSource } from './parse.ts';
import {
  ATTACHMENT, MANIFEST_REFERENCE, MESSAGE_HEADER, STATUS_HEADER_ORDER, TRACE_HEADER_LIST, type GroupSpec, type Spec,
} from './schema.ts';

export interface BuildAttachment extends AttachmentHeader {
  /** The raw (decoded) bytes, in memory or as a stream of slices. */
  content: Uint8Array | ByteSource;
}

export interface PacketModel {
  header: Omit<EdxmlHeader, 'Manifest'> & { Manifest?: ManifestReference[] };
  /** edoc packets only; ignored for status packets. */
  attachments?: BuildAttachment[];
}

const P = 'edXML:';
const SLICE_CHARS = 64 * 1024;
// XML 1.0 cannot carry these at all, not even as character references.
const NOT_XML_CHAR = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/;

/** A status packet is one whose MessageHeader has a StatusCode. */
export function packetKind(mh: MessageHeader): PacketKind {
  return mh.StatusCode !== undefined ? 'status' : 'edoc';
}

/** Builds the packet as a stream of byte slices. Throws VDXP_E_MODEL_INVALID before writing anything. */
export async function* buildPacket(model: PacketModel): AsyncGenerator<Buffer> {
  const mh = model.header.MessageHeader;
  const kind = packetKind(mh);
  checkModel(model, kind);
  const out = new Out();
  out.raw(`<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="${EDXML_NS}">\n`);
  out.raw(`<${P}edXMLEnvelope xmlns:edXML="${EDXML_NS}">\n<${P}edXMLHeader>\n`);
  out.raw(`<${P}MessageHeader>`);
  const order = kind === 'status' ? STATUS_HEADER_ORDER : Object.keys(MESSAGE_HEADER.fields);
  for (const name of order) writeField(out, P, name, MESSAGE_HEADER.fields[name], (mh as unknown as Obj)[name]);
  out.raw(`</${P}MessageHeader>\n`);
  if (kind === 'edoc' && model.header.TraceHeaderList !== undefined) {
    writeField(out, P, 'TraceHeaderList', TRACE_HEADER_LIST, model.header.TraceHeaderList);
    out.raw('\n');
  }
  out.raw(`</${P}edXMLHeader>\n`);
  const attachments = kind === 'edoc' ? model.attachments ?? [] : [];
  if (kind === 'edoc') {
    const manifest = model.header.Manifest ?? attachments.map(manifestOf);
    const version = model.header.ManifestVersion ?? '1.0';
    out.raw(`<${P}edXMLBody>\n<${P}edXMLManifest version="${escapeText(version).replaceAll('"', '&quot;')}">`);
    for (const ref of manifest) writeField(out, P, 'Reference', MANIFEST_REFERENCE, ref);
    out.raw(`</${P}edXMLManifest>\n</${P}edXMLBody>\n`);
  }
  out.raw(`</${P}edXMLEnvelope>\n`);
  yield* out.take();
  if (attachments.length > 0) {
    out.raw('<AttachmentEncoded>\n');
    for (const att of attachments) {
      out.raw('<Attachment>');
      for (const name of Object.keys(ATTACHMENT.fields)) {
        writeField(out, '', name, ATTACHMENT.fields[name], (att as unknown as Obj)[name]);
      }
      out.raw('<ContentTransferEncoded>');
      const enc = new Base64Encoder();
      for await (const slice of sliceSource(att.content)) {
        out.raw(enc.push(slice));
        yield* out.take();
      }
      out.raw(enc.end());
      out.raw('</ContentTransferEncoded></Attachment>\n');
    }
    out.raw('</AttachmentEncoded>\n');
  }
  out.raw('</edXML>\n');
  yield* out.take(true);
}

/** Builds a packet into one buffer (small packets, tests). */
export async function buildPacketBytes(model: PacketModel): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of buildPacket(model)) parts.push(part);
  return Buffer.concat(parts);
}

export function escapeText(s: string): string {
  if (NOT_XML_CHAR.test(s)) {
    throw new EdxmlError('VDXP_E_MODEL_INVALID', 'A text field holds a control character that XML 1.0 cannot carry');
  }
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('\r', '&#13;');
}

type Obj = Record<string, unknown>;

function manifestOf(att: BuildAttachment): ManifestReference {
  const ref: ManifestReference = {};
  if (att.ContentId !== undefined) ref.ContentId = att.ContentId;
  if (att.ContentType !== undefined) ref.ContentType = att.ContentType;
  if (att.Description !== undefined) ref.Description = att.Description;
  if (att.AttachmentName !== undefined) ref.AttachmentName = att.AttachmentName;
  return ref;
}

function checkModel(model: PacketModel, kind: PacketKind): void {
  const mh = model.header.MessageHeader;
  if (!mh.From.OrganId) throw new EdxmlError('VDXP_E_MODEL_INVALID', 'MessageHeader.From.OrganId is required');
  if (kind === 'edoc' && mh.To.length === 0) {
    throw new EdxmlError('VDXP_E_MODEL_INVALID', 'An edoc packet needs at least one MessageHeader.To');
  }
}

function writeField(out: Out, prefix: string, name: string, spec: Spec | undefined, value: unknown): void {
  if (value === undefined || spec === undefined) return;
  switch (spec.t) {
    case 'text':
      out.raw(`<${prefix}${name}>${escapeText(value as string)}</${prefix}${name}>`);
      return;
    case 'group':
      out.raw(`<${prefix}${name}>`);
      writeGroup(out, prefix, spec, value as Obj);
      out.raw(`</${prefix}${name}>`);
      return;
    case 'repeat':
      for (const item of value as unknown[]) writeField(out, prefix, name, spec.item, item);
      return;
    case 'list':
      out.raw(`<${prefix}${name}>`);
      for (const item of value as unknown[]) writeField(out, prefix, spec.itemName, spec.item, item);
      out.raw(`</${prefix}${name}>`);
      return;
  }
}

function writeGroup(out: Out, prefix: string, spec: GroupSpec, obj: Obj): void {
  for (const [name, fieldSpec] of Object.entries(spec.fields)) writeField(out, prefix, name, fieldSpec, obj[name]);
}

const INPUT_SLICE_BYTES = 48 * 1024;

/** Re-slices attachment content so that output slices stay bounded whatever slices the caller gives. */
async function* sliceSource(content: Uint8Array | ByteSource): AsyncGenerator<Uint8Array> {
  const chunks = content instanceof Uint8Array ? [content] : content;
  for await (const chunk of chunks) {
    for (let at = 0; at < chunk.byteLength; at += INPUT_SLICE_BYTES) yield chunk.subarray(at, at + INPUT_SLICE_BYTES);
  }
}

/** Collects output text and releases it as UTF-8 slices of about SLICE_CHARS. */
class Out {
  #parts: string[] = [];
  #chars = 0;

  raw(s: string): void {
    this.#parts.push(s);
    this.#chars += s.length;
  }

  *take(all = false): Generator<Buffer> {
    if (this.#chars === 0 || (!all && this.#chars < SLICE_CHARS)) return;
    const s = this.#parts.join('');
    this.#parts = [];
    this.#chars = 0;
    yield Buffer.from(s, 'utf8');
  }
}
