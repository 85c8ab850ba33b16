// In-scope namespace bindings and inherited xml:* attributes along the open elements, shared copy-on-write.

import type { XmlAttribute, XmlStartElement } from './xml-events.ts';
import { XML_NAMESPACE } from './algorithms.ts';

export interface NamespaceContext {
  /** prefix → URI for every binding in scope ('' is the default namespace; '' → '' when it was undeclared).
   * The fixed `xml` prefix is never listed. */
  readonly namespaces: ReadonlyMap<string, string>;
  /** xml:* attributes in effect (nearest ancestor wins), by local name; inclusive c14n copies them onto the apex of a
   * document subset. */
  readonly xmlAttributes: ReadonlyMap<string, XmlAttribute>;
}

export const EMPTY_CONTEXT: NamespaceContext = Object.freeze({
  namespaces: new Map<string, string>(),
  xmlAttributes: new Map<string, XmlAttribute>(),
});

/** The context inside `element` given the context of its parent; shares the parent's maps when nothing changes. */
export function enterElement(parent: NamespaceContext, element: XmlStartElement): NamespaceContext {
  let namespaces = parent.namespaces;
  if (element.namespaceDeclarations.length > 0) {
    const copy = new Map(parent.namespaces);
    for (const [prefix, uri] of element.namespaceDeclarations) {
      if (prefix !== 'xml') copy.set(prefix, uri);
    }
    namespaces = copy;
  }
  let xmlAttributes: Map<string, XmlAttribute> | undefined;
  for (const attribute of element.attributes) {
    if (attribute.uri !== XML_NAMESPACE) continue;
    xmlAttributes ??= new Map(parent.xmlAttributes);
    xmlAttributes.set(attribute.local, attribute);
  }
  return namespaces === parent.namespaces && xmlAttributes === undefined
    ? parent
    : { namespaces, xmlAttributes: xmlAttributes ?? parent.xmlAttributes };
}

export class ScopeStack {
  readonly #stack: NamespaceContext[];

  constructor(initial: NamespaceContext = EMPTY_CONTEXT) {
    this.#stack = [initial];
  }

  get current(): NamespaceContext {
    const top = this.#stack[this.#stack.length - 1];
    if (top === undefined) throw new Error('ScopeStack: popped more than pushed');
    return top;
  }

  push(element: XmlStartElement): NamespaceContext {
    const context = enterElement(this.current, element);
    this.#stack.push(context);
    return context;
  }

  pop(): void {
    if (this.#stack.length <= 1) throw new Error('ScopeStack: popped more than pushed');
    this.#stack.pop();
  }
}
