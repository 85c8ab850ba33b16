// Streaming edXML parser: bytes in, typed header out, each attachment's decoded bytes handed to a caller's
// sink as they arrive. Memory is bounded by the limits whatever the packet size: the base64 payloads never
// sit whole in memory, and sax gives long text in slices of at most 64 KiB.

import { createHash, hash as hashOnce, type Hash } from 'node:crypto';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import sax from 'sax';
import { Base64Decoder } from './base64.ts';
import { EdxmlError, isEdxmlError } from './errors.ts';
import { type EdxmlLimits, withLimits } from './limits.ts';
import type {
  AttachmentHeader, AttachmentSummary, EdxmlHeader, MessageHeader, ParsedPacket, TraceHeaderList,
} from './model.ts';
import { EDXML_NS } from './model.ts';
import { MarkupScanner, type ScanTag } from './markup-scan.ts';
import { ATTACHMENT, MANIFEST_REFERENCE, MESSAGE_HEADER, TRACE_HEADER_LIST, type GroupSpec, type Spec } from './schema.ts';

export const XMLDSIG_NS = 'http://www.w3.org/2000/09/xmldsig#';

const SAX_WRITE_CHARS = 32 * 1024;
/** Bytes of input decoded to one string (see write). */
const DECODE_BYTES = 64 * 1024;
interface SaxState { state: number }
const SAX_TEXT_STATE = (sax as unknown as { STATE: { TEXT: number } }).STATE.TEXT;
const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff;

/** Where an attachment's decoded bytes go. Return undefined to only measure them (size, digest, head). */
export type AttachmentSinkFactory = (attachment: AttachmentStart) => Writable | undefined;

export interface AttachmentStart {
  index: number;
  /** The metadata seen before the payload began; producers may put some of it after (see the summary). */
  header: AttachmentHeader;
}

export interface ParseOptions {
  limits?: Partial<EdxmlLimits>;
  onAttachment?: AttachmentSinkFactory;
  /** Called with each raw input chunk before it is parsed (e.g. to hash or store the packet in the same pass). */
  onChunk?: (chunk: Uint8Array) => void | Promise<void>;
  /**
   * Called once edXMLHeader closes, i.e. before any attachment of a conforming packet. Lets a caller that runs a
   * signature verifier beside the parser stop feeding it when the header held no Signature.
   */
  onHeaderEnd?: (header: { signaturePresent: boolean }) => void;
}

export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

type Obj = Record<string, unknown>;

type Frame =
  | { k: 'root' | 'envelope' | 'header' | 'body' | 'manifest' | 'attachments' | 'skip' }
  | { k: 'group'; spec: GroupSpec; obj: Obj }
  | { k: 'list'; itemName: string; item: Spec; arr: unknown[] }
  | { k: 'text'; parts: string[]; chars: number; done: (value: string) => void }
  | { k: 'attachment'; obj: Obj; index: number }
  | { k: 'payload'; att: AttachmentState };

interface AttachmentState {
  index: number;
  obj: Obj;
  decoder: Base64Decoder;
  hash: Sha256;
  bytes: number;
  head: Buffer[];
  headBytes: number;
  sink: Writable | undefined;
  started: boolean;
}

/** Parses one edXML packet from a byte stream. Throws EdxmlError (with a stable code) on refusal. */
export async function parsePacket(source: ByteSource, options: ParseOptions = {}): Promise<ParsedPacket> {
  return parseWith(new PacketParser(options, false), source, options);
}

/**
 * The same parse with every character of the packet read by sax, payloads included: the reference the fast path
 * is tested against (parse-fast.test.ts), ~5x slower on large packets. Not exported from the package.
 */
export async function parsePacketSaxOnly(source: ByteSource, options: ParseOptions = {}): Promise<ParsedPacket> {
  return parseWith(new PacketParser(options, true), source, options);
}

async function parseWith(p: PacketParser, source: ByteSource, options: ParseOptions): Promise<ParsedPacket> {
  try {
    for await (const chunk of source) {
      if (options.onChunk) await options.onChunk(chunk);
      p.write(chunk);
      await p.drain();
    }
    return await p.end();
  } catch (e) {
    p.abort(e);
    throw e;
  }
}

/** Parses a packet held in memory (small packets, tests). */
export function parsePacketBytes(bytes: Uint8Array | string, options: ParseOptions = {}): Promise<ParsedPacket> {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  return parsePacket([buf], options);
}

class PacketParser {
  readonly #limits: EdxmlLimits;
  readonly #onAttachment: AttachmentSinkFactory | undefined;
  readonly #onHeaderEnd: ParseOptions['onHeaderEnd'];
  readonly #sax: sax.SAXParser;
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  readonly #stack: Frame[] = [];
  readonly #path: string[] = [];
  #error: EdxmlError | undefined = undefined;
  #bytesIn = 0;
  #charsIn = 0;
  #payloadChars = 0;
  #rootClosed = false;
  #signaturePresent = false;
  #messageHeader: Obj | undefined;
  #traceHeaderList: Obj | undefined;
  #manifest: Obj[] = [];
  #manifestVersion: string | undefined;
  #attachments: AttachmentSummary[] = [];
  #pendingSinks: AttachmentState[] = [];
  #allSinks: Writable[] = [];
  #totalAttachmentBytes = 0;
  #unknown: string[] = [];
  /** Whether an AttachmentEncoded element is open: sax is then written up to each '>' (see #feedFast). */
  #attachmentsOpen = false;
  readonly #saxOnly: boolean;
  /** Reads the packet until it meets something it leaves to sax (see markup-scan.ts); undefined from then on. */
  #scanner: MarkupScanner | undefined;
  /** While sax re-reads what the scanner took: its events were handled already. */
  #muted = false;

  constructor(options: ParseOptions, saxOnly: boolean) {
    this.#saxOnly = saxOnly;
    this.#scanner = saxOnly ? undefined : new MarkupScanner({
      open: (tag) => this.#open(tag),
      close: () => this.#close(),
      text: (t) => this.#text(t),
      inPayload: () => this.#stack.at(-1)?.k === 'payload',
    });
    this.#limits = withLimits(options.limits);
    this.#onAttachment = options.onAttachment;
    this.#onHeaderEnd = options.onHeaderEnd;
    // strictEntities: only XML's own five entities; sax would otherwise expand HTML ones (&nbsp;…).
    this.#sax = sax.parser(true, { xmlns: true, position: true, strictEntities: true } as sax.SAXOptions); // @types/sax lacks strictEntities
    this.#sax.onerror = (e) => { throw this.#malformed(e); };
    this.#sax.ondoctype = () => {
      throw new EdxmlError('VDXP_E_XML_DTD', 'The packet has a <!DOCTYPE>: DTDs and entity declarations are refused');
    };
    this.#sax.onopentag = (tag) => { if (!this.#muted) this.#open(tag as sax.QualifiedTag); };
    this.#sax.onclosetag = () => { if (!this.#muted) this.#close(); };
    this.#sax.ontext = (t) => { if (!this.#muted) this.#text(t); };
    this.#sax.oncdata = (t) => { if (!this.#muted) this.#text(t); };
  }

  write(chunk: Uint8Array): void {
    this.#bytesIn += chunk.byteLength;
    if (this.#bytesIn > this.#limits.packetBytesMax) {
      throw new EdxmlError('VDXP_E_PACKET_TOO_LARGE', `The packet exceeds ${this.#limits.packetBytesMax} bytes`);
    }
    // Decoded in pieces (a string past 128 KiB is a large object to V8, several times dearer to make and collect),
    // all before any is parsed, so that bad UTF-8 anywhere in the chunk is still the first thing refused.
    const texts: string[] = [];
    try {
      for (let at = 0; at < chunk.byteLength; at += DECODE_BYTES) {
        texts.push(this.#decoder.decode(at === 0 && chunk.byteLength <= DECODE_BYTES ? chunk : chunk.subarray(at, at + DECODE_BYTES), { stream: true }));
      }
    } catch (e) {
      throw new EdxmlError('VDXP_E_XML_MALFORMED', 'The packet is not valid UTF-8', { cause: e });
    }
    this.#feed(texts);
  }

  async drain(): Promise<void> {
    if (this.#pendingSinks.length === 0) return;
    const waiting = this.#pendingSinks;
    this.#pendingSinks = [];
    for (const att of waiting) {
      const sink = att.sink;
      if (sink && sink.writableNeedDrain) await this.#sinkEvent(sink, 'drain');
    }
  }

  async end(): Promise<ParsedPacket> {
    let tail: string;
    try {
      tail = this.#decoder.decode();
    } catch (e) {
      throw new EdxmlError('VDXP_E_XML_MALFORMED', 'The packet is not valid UTF-8 (truncated character at the end)', { cause: e });
    }
    this.#feed([tail]);
    if (!this.#rootClosed) {
      throw new EdxmlError('VDXP_E_XML_TRUNCATED', this.#bytesIn === 0 ? 'The packet is empty'
        : `The packet ended inside ${this.#path.join('/') || 'the prolog'} before edXML was closed`);
    }
    try {
      this.#sax.close();
    } catch (e) {
      throw isEdxmlError(e) ? e : this.#malformed(e);
    }
    await this.drain();
    for (const sink of this.#allSinks) {
      sink.end();
      if (!sink.writableFinished) await this.#sinkEvent(sink, 'finish');
    }
    return this.#result();
  }

  abort(reason: unknown): void {
    for (const sink of this.#allSinks) if (!sink.destroyed) sink.destroy(reason instanceof Error ? reason : undefined);
  }

  async #sinkEvent(sink: Writable, event: 'drain' | 'finish'): Promise<void> {
    try {
      await once(sink, event);
    } catch (e) {
      throw new EdxmlError('VDXP_E_SINK_FAILED', `The attachment sink failed: ${(e as Error).message}`, { cause: e });
    }
  }

  #feed(texts: readonly string[]): void {
    try {
      for (const s of texts) {
        if (s.length === 0) continue;
        this.#charsIn += s.length;
        if (this.#saxOnly) this.#feedSax(s, 0, s.length);
        else if (this.#scanner !== undefined) {
          const rest = this.#scanner.write(s);
          if (rest !== undefined) this.#toSax(rest);
        } else this.#feedFast(s);
      }
    } catch (e) {
      throw isEdxmlError(e) ? e : this.#malformed(e);
    }
    if (this.#error !== undefined) throw this.#error;
    if (this.#charsIn - this.#payloadChars > this.#limits.headerCharsMax) {
      throw new EdxmlError('VDXP_E_HEADER_TOO_LARGE',
        `The XML outside attachment payloads exceeds ${this.#limits.headerCharsMax} characters`);
    }
  }

  /** The scanner stopped: sax re-reads what it took (muted), then reads on from `rest`. */
  #toSax(rest: string): void {
    const taken = this.#scanner?.taken ?? [];
    this.#scanner = undefined;
    this.#muted = true;
    try {
      for (const t of taken) this.#feedSax(t, 0, t.length);
      this.#sax.flush();
    } finally {
      this.#muted = false;
    }
    this.#feedFast(rest);
  }

  /**
   * sax reads the markup; a payload's base64 text goes straight to its decoder up to the next '<' or '&', since
   * sax would walk every character of it in JavaScript (most of a packet's bytes; parsing was ~10x slower than
   * building). To see a payload begin in the middle of a slice, sax is written up to the '>' that follows a
   * mention of AttachmentEncoded, then up to each '>' while it is open (about ten tags per attachment); a
   * character reference ('&#13;') goes to sax up to
   * its ';'. Only plain text in sax's TEXT state inside ContentTransferEncoded skips sax: the base64 decoder
   * refuses anything such text could hold that sax would, and sax judges all the markup around it
   * (parse-fast.test.ts compares the two paths on random and mutated packets, cut everywhere).
   */
  #feedFast(s: string): void {
    const n = s.length;
    // Next '<', '&', ';', '>' and 'AttachmentEncoded' at or after `at`: searched once per slice and kept.
    let lt = -2;
    let amp = -2;
    let semi = -2;
    let gt = -2;
    let opening = -2;
    const next = (cached: number, what: string, at: number): number =>
      (cached === -2 || (cached !== -1 && cached < at) ? s.indexOf(what, at) : cached);
    for (let at = 0; at < n;) {
      if (this.#stack.at(-1)?.k === 'payload' && (this.#sax as unknown as SaxState).state === SAX_TEXT_STATE) {
        lt = next(lt, '<', at);
        amp = next(amp, '&', at);
        let end = lt === -1 ? n : lt;
        if (amp !== -1 && amp < end) end = amp;
        if (end > at) {
          this.#sax.flush(); // text sax already holds (a character reference) comes first
          this.#text(at === 0 && end === n ? s : s.slice(at, end));
          at = end;
          continue;
        }
        if (at === amp) {
          // A character reference: sax decodes it (and refuses a bad one); then the text goes on.
          semi = next(semi, ';', at);
          if (semi !== -1 && (lt === -1 || semi < lt) && semi - at < SAX_WRITE_CHARS) {
            this.#feedSax(s, at, semi + 1);
            at = semi + 1;
            continue;
          }
        }
      }
      let end = Math.min(at + SAX_WRITE_CHARS, n);
      if (end < n && isHighSurrogate(s.charCodeAt(end - 1))) end--;
      if (this.#attachmentsOpen) {
        gt = next(gt, '>', at);
        if (gt !== -1 && gt < end) end = gt + 1;
      } else {
        // Up to the '>' after the next mention of AttachmentEncoded: its start tag, usually.
        opening = next(opening, 'AttachmentEncoded', at);
        if (opening !== -1 && opening < end) {
          gt = next(gt, '>', opening);
          if (gt !== -1 && gt < end) end = gt + 1;
        }
      }
      this.#feedSax(s, at, end);
      at = end;
    }
  }

  /**
   * Writes s[from, to) to sax. sax checks its text buffer only after each write, so one write bounds the largest
   * text slice it hands over: at most SAX_WRITE_CHARS at a time (without splitting a surrogate pair).
   */
  #feedSax(s: string, from: number, to: number): void {
    for (let at = from; at < to;) {
      let end = Math.min(at + SAX_WRITE_CHARS, to);
      if (end < to && isHighSurrogate(s.charCodeAt(end - 1))) end--;
      this.#sax.write(at === 0 && end === s.length ? s : s.slice(at, end));
      at = end;
    }
  }

  #malformed(e: unknown): EdxmlError {
    const msg = e instanceof Error ? e.message.split('\n').join(' ') : String(e);
    if (/Unclosed root tag|Unexpected end/i.test(msg)) {
      return new EdxmlError('VDXP_E_XML_TRUNCATED', `The packet ended early: ${msg}`, { cause: e });
    }
    return new EdxmlError('VDXP_E_XML_MALFORMED', `The packet is not well-formed XML: ${msg}`, {
      path: this.#path.join('/'), cause: e,
    });
  }

  #open(tag: ScanTag): void {
    this.#path.push(tag.local);
    if (this.#path.length > this.#limits.depthMax) {
      throw new EdxmlError('VDXP_E_XML_DEPTH', `Elements nest deeper than ${this.#limits.depthMax} levels`, {
        path: this.#path.join('/'),
      });
    }
    const ours = tag.uri === EDXML_NS || tag.uri === '';
    const parent = this.#stack.at(-1);
    if (parent === undefined) {
      if (tag.local !== 'edXML' || tag.uri !== EDXML_NS) {
        throw new EdxmlError('VDXP_E_XML_ROOT',
          `The root element is {${tag.uri}}${tag.local}, not edXML in the namespace ${EDXML_NS}`);
      }
      this.#stack.push({ k: 'root' });
      return;
    }
    this.#stack.push(this.#child(parent, tag, ours));
  }

  #child(parent: Frame, tag: ScanTag, ours: boolean): Frame {
    const name = tag.local;
    switch (parent.k) {
      case 'root':
        if (ours && name === 'edXMLEnvelope') return { k: 'envelope' };
        if (ours && name === 'AttachmentEncoded') {
          this.#attachmentsOpen = true;
          return { k: 'attachments' };
        }
        break;
      case 'envelope':
        if (ours && name === 'edXMLHeader') return { k: 'header' };
        if (ours && name === 'edXMLBody') return { k: 'body' };
        break;
      case 'header':
        if (tag.uri === XMLDSIG_NS && name === 'Signature') {
          this.#signaturePresent = true;
          return { k: 'skip' };
        }
        if (ours && name === 'MessageHeader' && this.#messageHeader === undefined) {
          this.#messageHeader = {};
          return { k: 'group', spec: MESSAGE_HEADER, obj: this.#messageHeader };
        }
        if (ours && name === 'TraceHeaderList' && this.#traceHeaderList === undefined) {
          this.#traceHeaderList = {};
          return { k: 'group', spec: TRACE_HEADER_LIST, obj: this.#traceHeaderList };
        }
        break;
      case 'body':
        if (ours && name === 'edXMLManifest') {
          const version = tag.attributes['version'];
          if (version !== undefined) this.#manifestVersion = version.value;
          return { k: 'manifest' };
        }
        break;
      case 'manifest':
        if (ours && name === 'Reference') {
          this.#countRepeat(this.#manifest.length);
          const obj: Obj = {};
          this.#manifest.push(obj);
          return { k: 'group', spec: MANIFEST_REFERENCE, obj };
        }
        break;
      case 'attachments':
        if (ours && name === 'Attachment') {
          if (this.#attachments.length >= this.#limits.attachmentsMax) {
            throw new EdxmlError('VDXP_E_ATTACHMENTS_TOO_MANY', `More than ${this.#limits.attachmentsMax} attachments`);
          }
          const obj: Obj = {};
          const index = this.#attachments.length;
          this.#attachments.push({ index, bytes: 0, sha256: '', head: new Uint8Array(0) });
          return { k: 'attachment', obj, index };
        }
        break;
      case 'attachment':
        if (ours && name === 'ContentTransferEncoded') return this.#startPayload(parent.obj, parent.index);
        if (ours) return this.#field(ATTACHMENT, parent.obj, name);
        break;
      case 'group':
        if (ours) return this.#field(parent.spec, parent.obj, name);
        break;
      case 'list':
        if (ours && name === parent.itemName) {
          this.#countRepeat(parent.arr.length);
          return this.#item(parent.item, parent.arr);
        }
        break;
      case 'text':
      case 'payload':
      case 'skip':
        break;
    }
    if (parent.k !== 'skip' && this.#unknown.length < 100) this.#unknown.push(this.#path.join('/'));
    return { k: 'skip' };
  }

  #field(spec: GroupSpec, obj: Obj, name: string): Frame {
    const fieldSpec = spec.fields[name];
    if (fieldSpec === undefined) {
      if (this.#unknown.length < 100) this.#unknown.push(this.#path.join('/'));
      return { k: 'skip' };
    }
    switch (fieldSpec.t) {
      case 'text':
        if (obj[name] !== undefined) return this.#duplicate();
        return this.#textFrame((v) => { obj[name] = v; });
      case 'group': {
        if (obj[name] !== undefined) return this.#duplicate();
        const child: Obj = {};
        obj[name] = child;
        return { k: 'group', spec: fieldSpec, obj: child };
      }
      case 'repeat': {
        const arr = (obj[name] ??= []) as unknown[];
        this.#countRepeat(arr.length);
        return this.#item(fieldSpec.item, arr);
      }
      case 'list': {
        if (obj[name] !== undefined) return this.#duplicate();
        const arr: unknown[] = [];
        obj[name] = arr;
        return { k: 'list', itemName: fieldSpec.itemName, item: fieldSpec.item, arr };
      }
    }
  }

  #item(spec: Spec, arr: unknown[]): Frame {
    if (spec.t === 'group') {
      const obj: Obj = {};
      arr.push(obj);
      return { k: 'group', spec, obj };
    }
    // Reserve the slot now so items keep document order even though text arrives at the close.
    const at = arr.length;
    arr.push('');
    return this.#textFrame((v) => { arr[at] = v; });
  }

  #duplicate(): Frame {
    // Lenient: the first occurrence wins; the repeat is reported like an unknown element.
    if (this.#unknown.length < 100) this.#unknown.push(`${this.#path.join('/')} (repeated)`);
    return { k: 'skip' };
  }

  #textFrame(done: (value: string) => void): Frame {
    return { k: 'text', parts: [], chars: 0, done };
  }

  #countRepeat(already: number): void {
    if (already >= this.#limits.repeatedElementsMax) {
      throw new EdxmlError('VDXP_E_REPEAT_TOO_MANY', `More than ${this.#limits.repeatedElementsMax} elements`, {
        path: this.#path.join('/'),
      });
    }
  }

  #startPayload(obj: Obj, index: number): Frame {
    const summary = this.#attachments[index];
    if (summary === undefined) throw new Error('assertion: attachment summary exists');
    if (summary.sha256 !== '') return this.#duplicate();
    const att: AttachmentState = {
      index, obj, decoder: new Base64Decoder(this.#path.join('/')), hash: new Sha256(),
      bytes: 0, head: [], headBytes: 0, sink: undefined, started: false,
    };
    const sink = this.#onAttachment?.({ index, header: { ...(obj as AttachmentHeader) } });
    if (sink) {
      att.sink = sink;
      this.#allSinks.push(sink);
      sink.on('error', (e: Error) => {
        this.#error ??= new EdxmlError('VDXP_E_SINK_FAILED', `The attachment sink failed: ${e.message}`, { cause: e });
      });
    }
    return { k: 'payload', att };
  }

  #decoded(att: AttachmentState, bytes: Buffer): void {
    if (bytes.length === 0) return;
    att.bytes += bytes.length;
    this.#totalAttachmentBytes += bytes.length;
    if (att.bytes > this.#limits.attachmentBytesMax || this.#totalAttachmentBytes > this.#limits.attachmentsTotalBytesMax) {
      throw new EdxmlError('VDXP_E_ATTACHMENT_TOO_LARGE',
        `Attachment ${att.index} or all attachments together exceed the limit ` +
        `(${this.#limits.attachmentBytesMax} bytes each, ${this.#limits.attachmentsTotalBytesMax} in all)`);
    }
    att.hash.update(bytes);
    if (att.headBytes < this.#limits.attachmentHeadBytes) {
      const take = bytes.subarray(0, this.#limits.attachmentHeadBytes - att.headBytes);
      att.head.push(Buffer.from(take));
      att.headBytes += take.length;
    }
    if (att.sink && !att.sink.write(bytes) && !this.#pendingSinks.includes(att)) this.#pendingSinks.push(att);
  }

  #text(t: string): void {
    const top = this.#stack.at(-1);
    if (top === undefined) return;
    if (top.k === 'text') {
      top.chars += t.length;
      if (top.chars > this.#limits.fieldCharsMax) {
        throw new EdxmlError('VDXP_E_FIELD_TOO_LARGE', `A field exceeds ${this.#limits.fieldCharsMax} characters`, {
          path: this.#path.join('/'),
        });
      }
      top.parts.push(t);
    } else if (top.k === 'payload') {
      this.#payloadChars += t.length;
      this.#decoded(top.att, top.att.decoder.push(t));
    }
  }

  #close(): void {
    const frame = this.#stack.pop();
    this.#path.pop();
    if (frame === undefined) return;
    if (frame.k === 'text') {
      frame.done(frame.parts.join('').trim());
    } else if (frame.k === 'payload') {
      const att = frame.att;
      this.#decoded(att, att.decoder.end());
      const summary = this.#attachments[att.index];
      if (summary === undefined) throw new Error('assertion: attachment summary exists');
      summary.sha256 = att.hash.digest();
      summary.bytes = att.bytes;
      summary.head = new Uint8Array(Buffer.concat(att.head));
    } else if (frame.k === 'attachment') {
      const summary = this.#attachments[frame.index];
      if (summary === undefined) throw new Error('assertion: attachment summary exists');
      Object.assign(summary, frame.obj);
      if (summary.sha256 === '') summary.sha256 = EMPTY_SHA256;
    } else if (frame.k === 'attachments') {
      this.#attachmentsOpen = false;
    } else if (frame.k === 'header') {
      this.#onHeaderEnd?.({ signaturePresent: this.#signaturePresent });
    } else if (frame.k === 'root') {
      this.#rootClosed = true;
    }
  }

  #result(): ParsedPacket {
    const mh = this.#messageHeader as Partial<MessageHeader> | undefined;
    if (mh === undefined) {
      throw new EdxmlError('VDXP_E_HEADER_MISSING', 'The packet has no edXMLEnvelope/edXMLHeader/MessageHeader');
    }
    if (mh.From?.OrganId === undefined || mh.From.OrganId === '') {
      throw new EdxmlError('VDXP_E_HEADER_MISSING', 'The packet has no MessageHeader/From/OrganId', {
        path: 'MessageHeader/From/OrganId',
      });
    }
    const messageHeader: MessageHeader = { ...mh, From: mh.From, To: mh.To ?? [], ResponseFor: mh.ResponseFor ?? [] };
    const header: EdxmlHeader = { MessageHeader: messageHeader, Manifest: this.#manifest };
    if (this.#traceHeaderList !== undefined) {
      const thl = this.#traceHeaderList as Partial<TraceHeaderList>;
      header.TraceHeaderList = { ...thl, TraceHeader: thl.TraceHeader ?? [] };
    }
    if (this.#manifestVersion !== undefined) header.ManifestVersion = this.#manifestVersion;
    return {
      kind: messageHeader.StatusCode !== undefined ? 'status' : 'edoc',
      header,
      attachments: this.#attachments,
      signaturePresent: this.#signaturePresent,
      unknownElements: this.#unknown,
    };
  }
}

const EMPTY_SHA256 = createHash('sha256').digest('hex');
/** Decoded bytes hashed in one call at the end rather than streamed: creating a streaming hash costs more than
 * decoding a small attachment. */
const SHA256_ONE_SHOT_BYTES_MAX = 64 * 1024;

/** SHA-256 of an attachment: one native call for small ones (most), a streaming hash past SHA256_ONE_SHOT_BYTES_MAX. */
class Sha256 {
  #held: Buffer[] = [];
  #heldBytes = 0;
  #streaming: Hash | undefined;

  update(bytes: Buffer): void {
    if (this.#streaming !== undefined) {
      this.#streaming.update(bytes);
      return;
    }
    this.#held.push(bytes);
    this.#heldBytes += bytes.length;
    if (this.#heldBytes > SHA256_ONE_SHOT_BYTES_MAX) {
      this.#streaming = createHash('sha256');
      for (const b of this.#held) this.#streaming.update(b);
      this.#held = [];
    }
  }

  digest(): string {
    if (this.#streaming !== undefined) return this.#streaming.digest('hex');
    return hashOnce('sha256', this.#held.length === 1 ? (this.#held[0] ?? EMPTY) : Buffer.concat(this.#held), 'hex');
  }
}

const EMPTY = Buffer.alloc(0);
