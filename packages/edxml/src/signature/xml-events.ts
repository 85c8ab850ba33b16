// The small event vocabulary shared by the streaming reader, the canonicalizer and the Signature capture.

export interface XmlAttribute {
  readonly qname: string;
  readonly prefix: string;
  readonly local: string;
  /** Namespace URI; '' for unprefixed attributes (the default namespace never applies to attributes). */
  readonly uri: string;
  readonly value: string;
}

export interface XmlStartElement {
  readonly qname: string;
  readonly prefix: string;
  readonly local: string;
  readonly uri: string;
  /** Namespace declarations written on this element, as [prefix, uri]; prefix '' is `xmlns=`. */
  readonly namespaceDeclarations: readonly (readonly [prefix: string, uri: string])[];
  /** Attributes other than namespace declarations, in document order. */
  readonly attributes: readonly XmlAttribute[];
}

export interface XmlEventHandler {
  startElement(element: XmlStartElement): void;
  endElement(): void;
  /** Character data inside the document element (CDATA sections included), already entity-decoded. */
  text(value: string): void;
  comment(value: string): void;
  processingInstruction(target: string, data: string): void;
}
