// Byte-level pre-pass before sax: the XML line-end and attribute-value normalisations sax does not do, DTD refusal,
// and the byte offsets of end tags (where the signer inserts its Signature).
//
// Why before sax and not on its events: sax hands out text and attribute values with character references already
// decoded, so a literal CR or TAB can no longer be told from `&#13;` or `&#9;`, which canonical XML must keep. XML
// 1.0 §2.11 and §3.3.3 define both normalisations on the raw input, so doing them here is exact. Only ASCII bytes are
// looked at or replaced, which is safe inside UTF-8 multi-byte sequences.

import { EdxmlError } from '../errors.ts';

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const QUESTION = 0x3f;
const BANG = 0x21;
const DASH = 0x2d;
const RIGHT_BRACKET = 0x5d;
const QUOTE = 0x22;
const APOSTROPHE = 0x27;
const CR = 0x0d;
const LF = 0x0a;
const TAB = 0x09;
const SPACE = 0x20;
const UPPER_D = 0x44;

const CDATA_OPENING = Uint8Array.from('[CDATA[', (c) => c.charCodeAt(0));

// Lexical states (plain numbers: the loop below runs once per markup byte).
const S_TEXT = 0;
const S_LT = 1;
const S_START_TAG = 2;
const S_ATTRIBUTE_VALUE = 3;
const S_END_TAG = 4;
const S_PI = 5;
const S_BANG = 6;
const S_BANG_DASH = 7;
const S_COMMENT = 8;
const S_CDATA_OPENING = 9;
const S_CDATA = 10;

function isXmlWhitespace(b: number): boolean {
  return b === SPACE || b === TAB || b === LF || b === CR;
}

export class XmlInputNormalizer {
  /** Original-input byte offsets of the `<` of each end tag (`</x>`) or empty-element tag (`<x/>`), in document
   * order, not yet claimed by {@link shiftEndTagOffset}. Only filled when the constructor is asked to. */
  readonly #endTagOffsets: number[] = [];
  readonly #trackEndTags: boolean;
  #state = S_TEXT;
  #quote = 0;
  #afterCr = false;
  #tagStartOffset = 0;
  #slashBeforeGt = false;
  #questionBeforeGt = false;
  #dashes = 0;
  #brackets = 0;
  #cdataMatched = 0;
  #bytesSeen = 0;

  constructor(options?: { trackEndTagOffsets?: boolean }) {
    this.#trackEndTags = options?.trackEndTagOffsets ?? false;
  }

  /** Returns the chunk itself when nothing had to change, else a normalised copy (never longer). */
  normalize(chunk: Uint8Array): Uint8Array {
    const n = chunk.length;
    const hasCr = chunk.indexOf(CR) !== -1;
    let out: Uint8Array | undefined;
    let w = 0;
    let i = 0;
    const base = this.#bytesSeen;
    this.#bytesSeen += n;

    // The copy starts as the whole chunk and is compacted in place (w <= i always), so keeping a run of bytes is
    // one native copyWithin, without allocating; that matters for base64 with a CR LF every 76 bytes.
    const keep = (from: number, to: number): void => {
      if (out !== undefined && to > from) {
        if (w !== from) out.copyWithin(w, from, to);
        w += to - from;
      }
    };
    const startCopy = (): Uint8Array => {
      if (out === undefined) {
        // Not chunk.slice(): on a Buffer that is a view, and the caller's bytes must not change.
        out = new Uint8Array(chunk);
        w = i;
      }
      return out;
    };

    // Next '<' and next CR at or after i (n when none), kept across iterations so that neither CR-dense text nor
    // markup-dense text makes the search rescan the rest of the chunk each time.
    let nextLt = -1;
    let nextCr = hasCr ? -1 : n;
    while (i < n) {
      if (this.#state === S_TEXT && !(this.#afterCr && chunk[i] === LF)) {
        // Fast path for the long base64 runs of attachments: jump natively to the next byte that matters.
        if (nextLt < i) {
          nextLt = chunk.indexOf(LT, i);
          if (nextLt === -1) nextLt = n;
        }
        if (nextCr < i) {
          nextCr = chunk.indexOf(CR, i);
          if (nextCr === -1) nextCr = n;
        }
        const j = Math.min(nextLt, nextCr);
        keep(i, j);
        if (j > i) this.#afterCr = false;
        i = j;
        if (i >= n) break;
      }

      let b = chunk[i] ?? 0;
      if (b === CR) {
        // CR LF and lone CR both become one LF; inside an attribute value that LF then becomes a space.
        this.#afterCr = true;
        const o = startCopy();
        o[w++] = this.#state === S_ATTRIBUTE_VALUE ? SPACE : LF;
        i++;
        continue;
      }
      if (b === LF && this.#afterCr) {
        this.#afterCr = false;
        startCopy();
        i++;
        continue;
      }
      this.#afterCr = false;

      switch (this.#state) {
        case S_TEXT:
          // Only `<` reaches here.
          this.#tagStartOffset = base + i;
          this.#state = S_LT;
          break;
        case S_LT:
          if (b === SLASH) {
            if (this.#trackEndTags) this.#endTagOffsets.push(this.#tagStartOffset);
            this.#state = S_END_TAG;
          } else if (b === QUESTION) {
            this.#questionBeforeGt = false;
            this.#state = S_PI;
          } else if (b === BANG) {
            this.#state = S_BANG;
          } else if (isXmlWhitespace(b) || b === GT || b === LT) {
            throw new EdxmlError('VDXP_E_XML_MALFORMED', `'<' not followed by a name at byte ${base + i}`);
          } else {
            this.#slashBeforeGt = false;
            this.#state = S_START_TAG;
          }
          break;
        case S_START_TAG:
          if (b === QUOTE || b === APOSTROPHE) {
            this.#quote = b;
            this.#state = S_ATTRIBUTE_VALUE;
          } else if (b === GT) {
            if (this.#slashBeforeGt && this.#trackEndTags) this.#endTagOffsets.push(this.#tagStartOffset);
            this.#state = S_TEXT;
          }
          this.#slashBeforeGt = b === SLASH;
          break;
        case S_ATTRIBUTE_VALUE:
          if (b === this.#quote) {
            this.#state = S_START_TAG;
            this.#slashBeforeGt = false;
          } else if (b === TAB || b === LF) {
            b = SPACE;
            startCopy()[w++] = b;
            i++;
            continue;
          }
          break;
        case S_END_TAG:
          if (b === GT) this.#state = S_TEXT;
          break;
        case S_PI:
          if (b === GT && this.#questionBeforeGt) this.#state = S_TEXT;
          this.#questionBeforeGt = b === QUESTION;
          break;
        case S_BANG:
          if (b === DASH) {
            this.#state = S_BANG_DASH;
          } else if (b === (CDATA_OPENING[0] ?? 0)) {
            this.#cdataMatched = 1;
            this.#state = S_CDATA_OPENING;
          } else if (b === UPPER_D) {
            throw new EdxmlError('VDXP_E_XML_DTD', 'The packet has a DOCTYPE; DTDs are refused (XXE, entity expansion)');
          } else {
            throw new EdxmlError('VDXP_E_XML_MALFORMED', `Unknown markup declaration '<!' at byte ${base + i - 1}`);
          }
          break;
        case S_BANG_DASH:
          if (b !== DASH) throw new EdxmlError('VDXP_E_XML_MALFORMED', `Malformed comment opening at byte ${base + i}`);
          this.#dashes = 0;
          this.#state = S_COMMENT;
          break;
        case S_COMMENT:
          if (b === GT && this.#dashes >= 2) this.#state = S_TEXT;
          this.#dashes = b === DASH ? this.#dashes + 1 : 0;
          break;
        case S_CDATA_OPENING:
          if (b !== CDATA_OPENING[this.#cdataMatched]) {
            throw new EdxmlError('VDXP_E_XML_MALFORMED', `Malformed CDATA opening at byte ${base + i}`);
          }
          this.#cdataMatched++;
          if (this.#cdataMatched === CDATA_OPENING.length) {
            this.#brackets = 0;
            this.#state = S_CDATA;
          }
          break;
        case S_CDATA:
          if (b === GT && this.#brackets >= 2) this.#state = S_TEXT;
          this.#brackets = b === RIGHT_BRACKET ? this.#brackets + 1 : 0;
          break;
      }
      if (out !== undefined) out[w++] = b;
      i++;
    }
    return out === undefined ? chunk : out.subarray(0, w);
  }

  /** True when the input so far ended outside any markup (a complete document must). */
  get atTextBoundary(): boolean {
    return this.#state === S_TEXT;
  }

  /** The offset of the next end tag in document order; call once per end-tag event of the parser. */
  shiftEndTagOffset(): number | undefined {
    return this.#endTagOffsets.shift();
  }
}
