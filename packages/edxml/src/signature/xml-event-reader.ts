// Streaming XML reader for signatures: bytes in, namespace-resolved events out (sax underneath), in bounded memory.

import sax from 'sax';
import type { QualifiedAttribute, QualifiedTag, Tag } from 'sax';
import { EdxmlError } from '../errors.ts';
import { DEFAULT_LIMITS } from '../limits.ts';
import type { EdxmlLimits } from '../limits.ts';
import { XMLNS_NAMESPACE } from './algorithms.ts';
import { XmlInputNormalizer } from './input-normalizer.ts';
import type { XmlAttribute, XmlEventHandler, XmlStartElement } from './xml-events.ts';

/** Longest string handed to one sax.write(). sax only checks its text buffer at the end of a write, so a text event
 * is at most its MAX_BUFFER_LENGTH (64 KiB) plus this. */
export const SAX_WRITE_CHARS_MAX = 32 * 1024;

const SAX_BUFFER_CHARS = (sax as unknown as { MAX_BUFFER_LENGTH: number }).MAX_BUFFER_LENGTH;
const SAX_TEXT_STATE = (sax as unknown as { STATE: { TEXT: number } }).STATE.TEXT;
/** Runs of text at least this long go to the handler without sax (see #feed). */
const DIRECT_TEXT_CHARS_MIN = 256;

/** Upper bound on the length of one `text` event, which is what keeps memory flat on base64 attachments. */
export const TEXT_EVENT_CHARS_MAX = SAX_BUFFER_CHARS + SAX_WRITE_CHARS_MAX;

export type ReaderLimits = Pick<EdxmlLimits, 'depthMax' | 'packetBytesMax'>;

export interface XmlEventReaderOptions {
  limits?: Partial<ReaderLimits>;
  /** Record where each end tag starts in the input; read it with {@link XmlEventReader.endTagByteOffset}. */
  trackEndTagOffsets?: boolean;
}

function malformed(message: string, cause?: unknown): EdxmlError {
  return new EdxmlError('VDXP_E_XML_MALFORMED', `The packet is not well-formed XML: ${message}`, { cause });
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

export class XmlEventReader {
  readonly #handler: XmlEventHandler;
  readonly #normalizer: XmlInputNormalizer;
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  readonly #parser: sax.SAXParser;
  readonly #limits: ReaderLimits;
  readonly #pendingAttributes: QualifiedAttribute[] = [];
  #depth = 0;
  #bytes = 0;
  #rootSeen = false;
  #rootClosed = false;
  #somethingSeen = false;
  #ended = false;
  #endTagByteOffset = -1;
  #failure: { readonly error: unknown } | undefined;

  constructor(handler: XmlEventHandler, options?: XmlEventReaderOptions) {
    this.#handler = handler;
    this.#limits = { ...pickReaderLimits(DEFAULT_LIMITS), ...options?.limits };
    this.#normalizer = new XmlInputNormalizer({ trackEndTagOffsets: options?.trackEndTagOffsets ?? false });
    // position must stay on: sax schedules its buffer-length checks (the 64 KiB text flushes) by position.
    // strictEntities: without it sax knows every HTML entity (&nbsp;…) even in strict mode; XML has five.
    const saxOptions: sax.SAXOptions & { strictEntities: boolean } = { xmlns: true, position: true, strictEntities: true };
    const parser = sax.parser(true, saxOptions);
    parser.onerror = (e: Error): void => {
      throw malformed(e.message.split('\n')[0] ?? e.message, e);
    };
    parser.onattribute = (attribute: { name: string; value: string }): void => {
      this.#pendingAttributes.push(attribute as QualifiedAttribute);
    };
    parser.onopentag = (tag: Tag | QualifiedTag): void => this.#openTag(tag as QualifiedTag);
    parser.onclosetag = (): void => this.#closeTag();
    parser.ontext = (text: string): void => {
      // Whitespace between top-level nodes is not part of the document (sax refuses anything else there).
      if (this.#depth > 0) this.#handler.text(text);
    };
    parser.oncdata = (text: string): void => {
      if (text !== '') this.#handler.text(text);
    };
    parser.oncomment = (text: string): void => {
      this.#somethingSeen = true;
      this.#handler.comment(text);
    };
    parser.onprocessinginstruction = (pi: { name: string; body: string }): void => this.#processingInstruction(pi);
    parser.ondoctype = (): void => {
      throw new EdxmlError('VDXP_E_XML_DTD', 'The packet has a DOCTYPE; DTDs are refused (XXE, entity expansion)');
    };
    this.#parser = parser;
  }

  /** During an endElement callback: the input byte offset of that end tag's `<` (needs trackEndTagOffsets). */
  get endTagByteOffset(): number {
    return this.#endTagByteOffset;
  }

  get bytesRead(): number {
    return this.#bytes;
  }

  write(chunk: Uint8Array): void {
    this.#guard(() => this.#write(chunk));
  }

  end(): void {
    this.#guard(() => this.#end());
  }

  /** Once something threw, sax is in no state to go on: every later call throws that same error. */
  #guard(step: () => void): void {
    if (this.#failure !== undefined) throw this.#failure.error;
    try {
      step();
    } catch (error) {
      this.#failure = { error };
      throw error;
    }
  }

  #write(chunk: Uint8Array): void {
    if (this.#ended) throw new Error('XmlEventReader: write after end');
    this.#bytes += chunk.length;
    if (this.#bytes > this.#limits.packetBytesMax) {
      throw new EdxmlError(
        'VDXP_E_PACKET_TOO_LARGE',
        `The packet exceeds ${this.#limits.packetBytesMax} bytes (limits.packetBytesMax)`,
      );
    }
    const normalized = this.#normalizer.normalize(chunk);
    let text: string;
    try {
      text = this.#decoder.decode(normalized, { stream: true });
    } catch (e) {
      throw malformed('the bytes are not valid UTF-8 (only UTF-8 packets are supported)', e);
    }
    this.#feed(text);
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    let rest: string;
    try {
      rest = this.#decoder.decode();
    } catch (e) {
      throw malformed('the bytes end inside a UTF-8 sequence', e);
    }
    this.#feed(rest);
    if (this.#depth > 0 || !this.#normalizer.atTextBoundary) {
      throw new EdxmlError('VDXP_E_XML_TRUNCATED', 'The packet ended before its root element was closed');
    }
    this.#parser.close();
    if (!this.#rootSeen) throw malformed('there is no root element');
  }

  // Slices never split a surrogate pair: a text event ending in half a pair would hash as U+FFFD. (The streaming
  // TextDecoder itself only ever returns whole code points.)
  //
  // A long run of text inside the document (an attachment's base64) is handed to the handler directly instead of
  // through sax, which would walk it character by character: sax is written up to the '>' before such a run, and
  // the run goes over up to the next '<' or '&'. In its TEXT state sax only gathers such characters, so the
  // handler gets the same text, cut differently (its consumers join adjacent text).
  #feed(s: string): void {
    const n = s.length;
    let lt = -2;
    let amp = -2;
    let gt = -2;
    const next = (cached: number, what: string, at: number): number =>
      (cached === -2 || (cached !== -1 && cached < at) ? s.indexOf(what, at) : cached);
    for (let from = 0; from < n; ) {
      if (this.#depth > 0 && (this.#parser as unknown as { state: number }).state === SAX_TEXT_STATE) {
        lt = next(lt, '<', from);
        amp = next(amp, '&', from);
        let end = lt === -1 ? n : lt;
        if (amp !== -1 && amp < end) end = amp;
        if (end - from >= DIRECT_TEXT_CHARS_MIN) {
          // Bounded like sax's own text events (TEXT_EVENT_CHARS_MAX), whole code points.
          if (end - from > TEXT_EVENT_CHARS_MAX) {
            end = from + TEXT_EVENT_CHARS_MAX;
            if (isHighSurrogate(s.charCodeAt(end - 1))) end--;
          }
          this.#parser.flush();
          this.#handler.text(s.slice(from, end));
          from = end;
          continue;
        }
      }
      let to = Math.min(from + SAX_WRITE_CHARS_MAX, n);
      // Stop after the first '>' that a long run of text follows, so that the run can skip sax.
      for (let g = next(gt, '>', from); g !== -1 && g < to; g = s.indexOf('>', g + 1)) {
        gt = g;
        const runEnd = next(lt, '<', g + 1);
        lt = runEnd;
        if ((runEnd === -1 ? n : runEnd) - (g + 1) >= DIRECT_TEXT_CHARS_MIN) {
          to = g + 1;
          break;
        }
        if (runEnd === -1) break;
      }
      if (to < n && isHighSurrogate(s.charCodeAt(to - 1))) to--;
      this.#parser.write(from === 0 && to === n ? s : s.slice(from, to));
      from = to;
    }
  }

  #openTag(tag: QualifiedTag): void {
    if (this.#rootClosed) throw malformed('a second root element');
    this.#rootSeen = true;
    this.#somethingSeen = true;
    this.#depth++;
    if (this.#depth > this.#limits.depthMax) {
      throw new EdxmlError('VDXP_E_XML_DEPTH', `Elements are nested deeper than ${this.#limits.depthMax} (limits.depthMax)`);
    }
    if (tag.name.split(':').length > 2) throw malformed(`the name ${JSON.stringify(tag.name)} has more than one colon`);
    const namespaceDeclarations: [string, string][] = [];
    const attributes: XmlAttribute[] = [];
    const seen = new Set<string>();
    for (const a of this.#pendingAttributes) {
      if (a.name.split(':').length > 2) throw malformed(`the attribute ${JSON.stringify(a.name)} has more than one colon`);
      if (a.uri === XMLNS_NAMESPACE) {
        const prefix = a.name === 'xmlns' ? '' : a.local;
        if (prefix !== '' && a.value === '') throw malformed(`xmlns:${prefix}="" cannot undeclare a prefix in XML 1.0`);
        if (seen.has(a.name)) throw malformed(`duplicate attribute ${a.name} on <${tag.name}>`);
        seen.add(a.name);
        namespaceDeclarations.push([prefix, a.value]);
        continue;
      }
      // Well-formedness and namespace well-formedness: no two attributes with the same name or expanded name.
      const expanded = a.uri === '' ? a.name : `{${a.uri}}${a.local}`;
      if (seen.has(a.name) || seen.has(expanded)) throw malformed(`duplicate attribute ${a.name} on <${tag.name}>`);
      seen.add(a.name);
      seen.add(expanded);
      attributes.push({ qname: a.name, prefix: a.prefix, local: a.local, uri: a.uri, value: a.value });
    }
    this.#pendingAttributes.length = 0;
    const element: XmlStartElement = {
      qname: tag.name,
      prefix: tag.prefix,
      local: tag.local,
      uri: tag.uri,
      namespaceDeclarations,
      attributes,
    };
    this.#handler.startElement(element);
  }

  #closeTag(): void {
    this.#depth--;
    if (this.#depth === 0) this.#rootClosed = true;
    this.#endTagByteOffset = this.#normalizer.shiftEndTagOffset() ?? -1;
    this.#handler.endElement();
  }

  #processingInstruction(pi: { name: string; body: string }): void {
    if (pi.name === 'xml') {
      // The XML declaration, not a processing instruction: it must come first and the packet must be UTF-8.
      if (this.#somethingSeen) throw malformed('the XML declaration is not at the start');
      const encoding = /\bencoding\s*=\s*["']([^"']*)["']/.exec(pi.body)?.[1];
      if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) {
        throw malformed(`encoding ${JSON.stringify(encoding)} is declared; only UTF-8 packets are supported`);
      }
      this.#somethingSeen = true;
      return;
    }
    if (pi.name.toLowerCase() === 'xml') throw malformed(`the processing instruction target ${pi.name} is reserved`);
    this.#somethingSeen = true;
    this.#handler.processingInstruction(pi.name, pi.body);
  }
}

function pickReaderLimits(limits: Readonly<EdxmlLimits>): ReaderLimits {
  return { depthMax: limits.depthMax, packetBytesMax: limits.packetBytesMax };
}

/** Reads a whole in-memory document (small ones: a Signature the signer built, test inputs). */
export function readXmlString(xml: string, handler: XmlEventHandler, options?: XmlEventReaderOptions): void {
  const reader = new XmlEventReader(handler, options);
  reader.write(new TextEncoder().encode(xml));
  reader.end();
}
