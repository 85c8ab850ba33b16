// Streaming Canonical XML 1.0 and Exclusive XML Canonicalization, fed with reader events, written to a sink.
//
// Two shapes of input: a whole document (the enveloped Reference URI="" — the caller simply does not forward the
// Signature subtree) and a document subset that is one element with its descendants (SignedInfo), whose ancestors'
// context is given up front. Comments are passed in by the reader and dropped here unless the method keeps them.

import { isExclusive, keepsComments } from './algorithms.ts';
import type { CanonicalizationMethod } from './algorithms.ts';
import { EMPTY_CONTEXT, enterElement } from './namespace-scope.ts';
import type { NamespaceContext } from './namespace-scope.ts';
import type { XmlAttribute, XmlEventHandler, XmlStartElement } from './xml-events.ts';

export type CanonicalSink = (canonical: string) => void;

export interface CanonicalizerOptions {
  method: CanonicalizationMethod;
  /** Exclusive c14n only: the InclusiveNamespaces PrefixList, '#default' standing for the default namespace. */
  inclusivePrefixes?: readonly string[];
  /** Canonicalize one element subtree whose parent has this context, instead of a whole document. */
  subsetContext?: NamespaceContext;
  /** Drop comments even for a #WithComments method: a same-document URI="" reference never includes comments. */
  omitComments?: boolean;
}

interface Frame {
  readonly qname: string;
  readonly context: NamespaceContext;
  /** prefix → URI of the namespace declarations rendered by this element or its output ancestors. */
  readonly rendered: ReadonlyMap<string, string>;
}

const TEXT_SPECIALS = /[&<>\r]/;
const ATTRIBUTE_SPECIALS = /[&<"\t\n\r]/;

export function escapeText(text: string): string {
  if (!TEXT_SPECIALS.test(text)) return text;
  return text.replace(/[&<>\r]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#xD;'));
}

export function escapeAttribute(value: string): string {
  if (!ATTRIBUTE_SPECIALS.test(value)) return value;
  return value.replace(/[&<"\t\n\r]/g, (c) => {
    switch (c) {
      case '&':
        return '&amp;';
      case '<':
        return '&lt;';
      case '"':
        return '&quot;';
      case '\t':
        return '&#x9;';
      case '\n':
        return '&#xA;';
      default:
        return '&#xD;';
    }
  });
}

/** Code-point order (what c14n sorts by), which differs from UTF-16 unit order when astral characters meet
 * U+E000–U+FFFF. */
export function compareCodePoints(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

function compareAttributes(a: XmlAttribute, b: XmlAttribute): number {
  return compareCodePoints(a.uri, b.uri) || compareCodePoints(a.local, b.local);
}

export class Canonicalizer implements XmlEventHandler {
  readonly #sink: CanonicalSink;
  readonly #exclusive: boolean;
  readonly #withComments: boolean;
  readonly #inclusivePrefixes: ReadonlySet<string>;
  readonly #subset: boolean;
  readonly #base: Frame;
  readonly #frames: Frame[] = [];
  #rootDone = false;

  constructor(sink: CanonicalSink, options: CanonicalizerOptions) {
    this.#sink = sink;
    this.#exclusive = isExclusive(options.method);
    this.#withComments = keepsComments(options.method) && options.omitComments !== true;
    this.#inclusivePrefixes = new Set((options.inclusivePrefixes ?? []).map((p) => (p === '#default' ? '' : p)));
    this.#subset = options.subsetContext !== undefined;
    // The apex's parent is not in the output, so nothing counts as already rendered.
    this.#base = { qname: '', context: options.subsetContext ?? EMPTY_CONTEXT, rendered: new Map() };
  }

  startElement(element: XmlStartElement): void {
    const parent = this.#frames[this.#frames.length - 1] ?? this.#base;
    const isApex = this.#frames.length === 0;
    const context = enterElement(parent.context, element);

    const candidates: string[] = [];
    if (this.#exclusive) {
      // Visibly utilized prefixes, plus those the PrefixList asks to treat the inclusive way.
      candidates.push(element.prefix);
      for (const a of element.attributes) if (a.prefix !== '' && a.prefix !== 'xml') candidates.push(a.prefix);
      for (const p of this.#inclusivePrefixes) candidates.push(p);
    } else {
      candidates.push('', ...context.namespaces.keys());
    }

    let renderedHere: Map<string, string> | undefined;
    const declarations: [string, string][] = [];
    const done = new Set<string>();
    for (const prefix of candidates) {
      if (done.has(prefix) || prefix === 'xml') continue;
      done.add(prefix);
      const uri = context.namespaces.get(prefix) ?? '';
      // A non-default prefix bound to nothing is a PrefixList entry that is not in scope here.
      if (prefix !== '' && uri === '') continue;
      // xmlns="" only needs saying when an output ancestor rendered a non-empty default.
      if ((parent.rendered.get(prefix) ?? '') === uri) continue;
      renderedHere ??= new Map(parent.rendered);
      renderedHere.set(prefix, uri);
      declarations.push([prefix, uri]);
    }
    const rendered = renderedHere ?? parent.rendered;
    declarations.sort((a, b) => compareCodePoints(a[0], b[0]));

    let attributes = element.attributes;
    if (isApex && this.#subset && !this.#exclusive && context.xmlAttributes.size > 0) {
      // Canonical XML 1.0 §2.4: a subset apex inherits the xml:* attributes of its omitted ancestors.
      const own = new Set(attributes.filter((a) => a.prefix === 'xml').map((a) => a.local));
      const inherited = [...context.xmlAttributes.values()].filter((a) => !own.has(a.local));
      attributes = [...attributes, ...inherited];
    }
    const sorted = attributes.length > 1 ? [...attributes].sort(compareAttributes) : attributes;

    let out = `<${element.qname}`;
    for (const [prefix, uri] of declarations) {
      out += prefix === '' ? ` xmlns="${escapeAttribute(uri)}"` : ` xmlns:${prefix}="${escapeAttribute(uri)}"`;
    }
    for (const a of sorted) out += ` ${a.qname}="${escapeAttribute(a.value)}"`;
    this.#sink(out + '>');
    this.#frames.push({ qname: element.qname, context, rendered });
  }

  endElement(): void {
    const frame = this.#frames.pop();
    if (frame === undefined) throw new Error('Canonicalizer: end tag without start tag');
    this.#sink(`</${frame.qname}>`);
    if (this.#frames.length === 0) this.#rootDone = true;
  }

  text(value: string): void {
    if (this.#frames.length > 0) this.#sink(escapeText(value));
  }

  comment(value: string): void {
    if (this.#withComments) this.#node(`<!--${value}-->`);
  }

  processingInstruction(target: string, data: string): void {
    this.#node(data === '' ? `<?${target}?>` : `<?${target} ${data}?>`);
  }

  /** Comments and PIs outside the document element sit on their own line, on the side away from it. */
  #node(serialized: string): void {
    if (this.#frames.length > 0 || this.#subset) this.#sink(serialized);
    else if (this.#rootDone) this.#sink(`\n${serialized}`);
    else this.#sink(`${serialized}\n`);
  }
}

/** Canonical form of a small in-memory event sequence, as one string. */
export function canonicalizeEvents(replay: (handler: XmlEventHandler) => void, options: CanonicalizerOptions): string {
  const parts: string[] = [];
  replay(new Canonicalizer((s) => parts.push(s), options));
  return parts.join('');
}
