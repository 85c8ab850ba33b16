// A scanner for the plain XML that edXML packets are made of, in front of sax: it reads what it is sure of exactly as
// sax (strict, xmlns, strictEntities) would, and hands everything else to sax. sax walks every character in
// JavaScript with a regular expression per name character, which made the header most of a small packet's cost.
//
// What it takes: an XML declaration or other processing instruction, whitespace outside the root, start tags with
// ASCII names (one colon at most) and quoted attribute values without '&' or '<', matching end tags, text with the
// five XML entities. What it leaves to sax (it stops there, before the construct): comments, CDATA, DOCTYPE,
// character references, any other name or entity, duplicate attributes, namespace declarations of xml or xmlns,
// an unbound prefix, a mismatched end tag, anything outside the root but whitespace and instructions. The parser
// then replays what the scanner took into sax with its handlers muted, so sax goes on from the same state.
// parse-fast.test.ts checks the whole against sax alone.

export interface ScanTag {
  local: string;
  uri: string;
  attributes: Record<string, { value: string }>;
}

export interface ScanHandler {
  open(tag: ScanTag): void;
  close(): void;
  text(value: string): void;
  /** Whether the element now open is a payload (ContentTransferEncoded): its text is handed over at once. */
  inPayload(): boolean;
}

const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace';
const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/';
const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** An ASCII name with at most one colon, both sides starting with a letter or '_'. */
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*(?::[A-Za-z_][A-Za-z0-9_.-]*)?$/;
const WHITESPACE_ONLY = /^[ \t\r\n]*$/;
const isWhitespace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
/** Where a name ends: whitespace, '/', '>', '='. */
const isNameEnd = (c: number): boolean => isWhitespace(c) || c === 0x2f || c === 0x3e || c === 0x3d;


interface Open {
  qname: string;
  /** Namespace bindings in scope (prefix → uri; '' is the default). */
  ns: ReadonlyMap<string, string>;
}

const ROOT_NS: ReadonlyMap<string, string> = new Map([['xml', XML_NAMESPACE], ['xmlns', XMLNS_NAMESPACE]]);

export class MarkupScanner {
  readonly #h: ScanHandler;
  readonly #open: Open[] = [];
  #rootSeen = false;
  #rootClosed = false;
  #atStart = true;
  /** What was taken, payload text excepted: sax reads it again if the scanner stops. */
  readonly taken: string[] = [];

  constructor(handler: ScanHandler) {
    this.#h = handler;
  }

  /**
   * Scans the next piece of input. Returns undefined when all of it was taken, else the input sax must read from now
   * on; the scanner is then done.
   */
  write(s: string): string | undefined {
    const stop = this.#scan(s);
    return stop === -1 ? undefined : s.slice(stop);
  }

  /** Returns -1 if all of `s` was taken, else the offset where sax must take over. */
  #scan(s: string): number {
    const n = s.length;
    let at = 0;
    if (this.#atStart && n > 0) {
      if (s.charCodeAt(0) === 0xfeff) return 0;
      this.#atStart = false;
    }
    // Text waiting for the next node: [textFrom, at) in s, handed over once that node is read whole.
    let textFrom = -1;
    while (at < n) {
      const inRoot = this.#rootSeen && !this.#rootClosed;
      if (s.charCodeAt(at) !== 0x3c) {
        // Text up to the next '<'.
        let lt = s.indexOf('<', at);
        if (lt === -1) lt = n;
        if (!inRoot) {
          if (!WHITESPACE_ONLY.test(s.slice(at, lt))) return textFrom === -1 ? at : textFrom;
          at = lt;
          continue;
        }
        if (this.#h.inPayload()) {
          // A payload's text goes over at once, up to a character reference (sax's) or the next tag.
          const amp = s.indexOf('&', at);
          const end = amp !== -1 && amp < lt ? amp : lt;
          if (end > at) this.#h.text(at === 0 && end === n ? s : s.slice(at, end));
          if (end === amp) {
            const decoded = this.#entity(s, amp, lt);
            if (decoded === undefined) return amp;
            this.#h.text(decoded.value);
            at = decoded.end;
            continue;
          }
          at = end;
          continue;
        }
        if (textFrom === -1) textFrom = at;
        at = lt;
        continue;
      }
      // A node begins at `at`: read it whole, then hand over the text before it and the node.
      const read = this.#node(s, at);
      if (read === undefined) return textFrom === -1 ? at : textFrom;
      if (read === null) return this.#unfinished(at, textFrom);
      if (textFrom !== -1) {
        const value = this.#decodeText(s, textFrom, at);
        if (value === undefined) return textFrom;
        if (value !== '') this.#h.text(value);
        this.taken.push(s.slice(textFrom, at));
        textFrom = -1;
      }
      this.taken.push(s.slice(at, read.end));
      read.apply();
      at = read.end;
    }
    if (textFrom !== -1) return this.#unfinished(textFrom, -1);
    return -1;
  }

  /**
   * The input ends inside a construct (a tag, an entity, text waiting for the node after it): sax takes over from
   * its start. Holding it for the next slice would be faster, but sax judges what it has seen of a construct at
   * once, so an error in it would come a slice later and lose to a check that slice makes (its size, say).
   */
  #unfinished(from: number, textFrom: number): number {
    return textFrom === -1 ? from : textFrom;
  }

  /** An entity at s[amp]: its text and end; undefined if it is not one of the five (or is cut by the input's end). */
  #entity(s: string, amp: number, limit: number): { value: string; end: number } | undefined {
    const semi = s.indexOf(';', amp);
    if (semi === -1 || semi > limit) return undefined;
    const value = ENTITIES[s.slice(amp + 1, semi)];
    return value === undefined ? undefined : { value, end: semi + 1 };
  }

  /** Text between nodes with its entities decoded; undefined if it holds anything but the five XML entities. */
  #decodeText(s: string, from: number, to: number): string | undefined {
    let amp = s.indexOf('&', from);
    if (amp === -1 || amp >= to) return s.slice(from, to);
    let out = '';
    let at = from;
    while (amp !== -1 && amp < to) {
      const e = this.#entity(s, amp, to);
      if (e === undefined) return undefined;
      out += s.slice(at, amp) + e.value;
      at = e.end;
      amp = s.indexOf('&', at);
    }
    return out + s.slice(at, to);
  }

  /**
   * The node at s[at] ('<'): its end and what taking it does; null if the input ends inside it, undefined if it is
   * not one the scanner takes.
   */
  #node(s: string, at: number): { end: number; apply: () => void } | null | undefined {
    const n = s.length;
    if (at + 1 >= n) return null;
    const c = s.charCodeAt(at + 1);
    if (c === 0x3f) { // '?': a processing instruction (sax takes any, up to '?>')
      const close = s.indexOf('?>', at + 2);
      if (close === -1) return null;
      return { end: close + 2, apply: () => undefined };
    }
    if (c === 0x2f) return this.#endTag(s, at);
    if (c === 0x21) return undefined; // '!': comment, CDATA, DOCTYPE
    if (this.#rootClosed) return undefined;
    return this.#startTag(s, at);
  }

  #endTag(s: string, at: number): { end: number; apply: () => void } | null | undefined {
    const gt = s.indexOf('>', at + 2);
    if (gt === -1) return null;
    let nameEnd = gt;
    while (nameEnd > at + 2 && isWhitespace(s.charCodeAt(nameEnd - 1))) nameEnd--;
    const name = s.slice(at + 2, nameEnd);
    const top = this.#open.at(-1);
    if (top === undefined || name !== top.qname) return undefined;
    return {
      end: gt + 1,
      apply: () => {
        this.#open.pop();
        if (this.#open.length === 0) this.#rootClosed = true;
        this.#h.close();
      },
    };
  }

  #startTag(s: string, at: number): { end: number; apply: () => void } | null | undefined {
    const n = s.length;
    let i = at + 1;
    while (i < n && !isNameEnd(s.charCodeAt(i))) i++;
    if (i >= n) return null;
    const qname = s.slice(at + 1, i);
    if (!NAME.test(qname)) return undefined;
    const attributes: [string, string][] = [];
    let selfClosing = false;
    for (;;) {
      const ws = i;
      while (i < n && isWhitespace(s.charCodeAt(i))) i++;
      if (i >= n) return null;
      const c = s.charCodeAt(i);
      if (c === 0x3e) { i++; break; }
      if (c === 0x2f) {
        if (i + 1 >= n) return null;
        if (s.charCodeAt(i + 1) !== 0x3e) return undefined;
        selfClosing = true;
        i += 2;
        break;
      }
      if (i === ws) return undefined; // no whitespace before an attribute
      const nameStart = i;
      while (i < n && !isNameEnd(s.charCodeAt(i))) i++;
      const name = s.slice(nameStart, i);
      while (i < n && isWhitespace(s.charCodeAt(i))) i++;
      if (i >= n) return null;
      if (s.charCodeAt(i) !== 0x3d || !NAME.test(name)) return undefined;
      i++;
      while (i < n && isWhitespace(s.charCodeAt(i))) i++;
      if (i >= n) return null;
      const quote = s.charCodeAt(i);
      if (quote !== 0x22 && quote !== 0x27) return undefined;
      const close = s.indexOf(quote === 0x22 ? '"' : "'", i + 1);
      if (close === -1) return null;
      const value = s.slice(i + 1, close);
      if (value.includes('&') || value.includes('<')) return undefined;
      attributes.push([name, value]);
      i = close + 1;
    }
    const tag = this.#resolve(qname, attributes);
    if (tag === undefined) return undefined;
    return {
      end: i,
      apply: () => {
        this.#rootSeen = true;
        this.#open.push({ qname, ns: tag.ns });
        this.#h.open(tag.tag);
        if (selfClosing) {
          this.#open.pop();
          if (this.#open.length === 0) this.#rootClosed = true;
          this.#h.close();
        }
      },
    };
  }

  /** Namespaces as sax resolves them; undefined where sax would complain or the scanner is not sure. */
  #resolve(qname: string, attributes: readonly [string, string][]): { tag: ScanTag; ns: ReadonlyMap<string, string> } | undefined {
    const parent = this.#open.at(-1)?.ns ?? ROOT_NS;
    let ns = parent;
    const seen = new Set<string>();
    for (const [name, value] of attributes) {
      if (seen.has(name)) return undefined;
      seen.add(name);
      if (name === 'xmlns' || name.startsWith('xmlns:')) {
        const prefix = name === 'xmlns' ? '' : name.slice(6);
        if (prefix === 'xml' || prefix === 'xmlns' || (prefix !== '' && value === '')) return undefined;
        if (ns === parent) ns = new Map(parent);
        (ns as Map<string, string>).set(prefix, value);
      }
    }
    const colon = qname.indexOf(':');
    const prefix = colon === -1 ? '' : qname.slice(0, colon);
    if (prefix === 'xml' || prefix === 'xmlns') return undefined;
    const uri = ns.get(prefix) ?? '';
    if (prefix !== '' && uri === '') return undefined;
    const out: Record<string, { value: string }> = {};
    for (const [name, value] of attributes) {
      const c = name.indexOf(':');
      if (c !== -1) {
        const p = name.slice(0, c);
        if (p !== 'xmlns' && (ns.get(p) ?? '') === '') return undefined;
      }
      out[name] = { value };
    }
    return { tag: { local: colon === -1 ? qname : qname.slice(colon + 1), uri, attributes: out }, ns };
  }
}
