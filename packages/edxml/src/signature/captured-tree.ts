// A small in-memory tree of one element subtree (the Signature), built from reader events and replayable into them.

import type { XmlEventHandler, XmlStartElement } from './xml-events.ts';

export type CapturedNode =
  | CapturedElement
  | { readonly kind: 'text'; readonly value: string }
  | { readonly kind: 'comment'; readonly value: string }
  | { readonly kind: 'pi'; readonly target: string; readonly data: string };

export interface CapturedElement {
  readonly kind: 'element';
  readonly start: XmlStartElement;
  readonly children: CapturedNode[];
}

function startElementChars(e: XmlStartElement): number {
  let n = e.qname.length;
  for (const [p, u] of e.namespaceDeclarations) n += p.length + u.length;
  for (const a of e.attributes) n += a.qname.length + a.value.length;
  return n;
}

/** Builds the tree of the first element it is given; stops keeping nodes (and says so) past charsMax. */
export class TreeBuilder implements XmlEventHandler {
  readonly #charsMax: number;
  readonly #stack: CapturedElement[] = [];
  #root: CapturedElement | undefined;
  #chars = 0;
  #overflowed = false;

  constructor(charsMax: number) {
    this.#charsMax = charsMax;
  }

  get root(): CapturedElement | undefined {
    return this.#overflowed ? undefined : this.#root;
  }

  get overflowed(): boolean {
    return this.#overflowed;
  }

  #count(chars: number): boolean {
    this.#chars += chars;
    if (this.#chars > this.#charsMax) this.#overflowed = true;
    return !this.#overflowed;
  }

  #append(node: CapturedNode): void {
    this.#stack[this.#stack.length - 1]?.children.push(node);
  }

  startElement(start: XmlStartElement): void {
    if (!this.#count(startElementChars(start))) return;
    const element: CapturedElement = { kind: 'element', start, children: [] };
    if (this.#root === undefined) this.#root = element;
    else this.#append(element);
    this.#stack.push(element);
  }

  endElement(): void {
    if (!this.#overflowed) this.#stack.pop();
  }

  text(value: string): void {
    if (!this.#count(value.length)) return;
    // Adjacent text events (sax splits long runs) are merged so that child text reads as one node.
    const parent = this.#stack[this.#stack.length - 1];
    const last = parent?.children[parent.children.length - 1];
    if (parent !== undefined && last?.kind === 'text') parent.children[parent.children.length - 1] = { kind: 'text', value: last.value + value };
    else this.#append({ kind: 'text', value });
  }

  comment(value: string): void {
    if (this.#count(value.length)) this.#append({ kind: 'comment', value });
  }

  processingInstruction(target: string, data: string): void {
    if (this.#count(target.length + data.length)) this.#append({ kind: 'pi', target, data });
  }
}

export function replay(node: CapturedNode, handler: XmlEventHandler): void {
  switch (node.kind) {
    case 'element':
      handler.startElement(node.start);
      for (const child of node.children) replay(child, handler);
      handler.endElement();
      break;
    case 'text':
      handler.text(node.value);
      break;
    case 'comment':
      handler.comment(node.value);
      break;
    case 'pi':
      handler.processingInstruction(node.target, node.data);
      break;
  }
}

export function childElements(element: CapturedElement, uri: string, local: string): CapturedElement[] {
  return element.children.filter(
    (c): c is CapturedElement => c.kind === 'element' && c.start.uri === uri && c.start.local === local,
  );
}

export function textContent(element: CapturedElement): string {
  let s = '';
  for (const c of element.children) {
    if (c.kind === 'text') s += c.value;
    else if (c.kind === 'element') s += textContent(c);
  }
  return s;
}

export function attributeValue(element: CapturedElement, name: string): string | undefined {
  return element.start.attributes.find((a) => a.uri === '' && a.local === name)?.value;
}
