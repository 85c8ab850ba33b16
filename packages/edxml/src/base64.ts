// Streaming base64: decode text that arrives in arbitrary slices, and encode bytes that arrive in arbitrary
// slices, without ever holding the whole payload. Decoding is strict (RFC 4648 alphabet, padding only at the
// end) because Buffer.from(…, 'base64') silently drops what it does not understand. The verdict never depends
// on where the slices fall: the decoder keeps every state a boundary can cut (a partial group, padding begun
// but not finished) and judges the padding only when it can see all of it, at end().

import { EdxmlError } from './errors.ts';

const ONLY_PADDING = /^=+$/;
const WHITESPACE = /[\t\n\r ]+/g;
/** A group's unfinished rest (0–3 characters) is checked on its own: #decodeGroups only sees whole groups. */
const ALPHABET_ONLY = /^[A-Za-z0-9+/]*$/;

export class Base64Decoder {
  /** Characters of the group not yet complete (0–3), padding excluded. */
  #carry = '';
  /** '=' characters seen so far; once one is seen, only more '=' may follow. */
  #pads = 0;
  readonly #path: string | undefined;

  constructor(path?: string) {
    this.#path = path;
  }

  /** Decodes a slice; returns the bytes it completes (possibly empty). */
  push(text: string): Buffer {
    const s = hasWhitespace(text) ? text.replace(WHITESPACE, '') : text;
    if (s.length === 0) return EMPTY;
    if (this.#pads > 0) {
      // The padding began in an earlier slice ('QUJDRA=' then '='): only its rest may come.
      if (!ONLY_PADDING.test(s)) throw this.#invalid(INVALID_CHARACTER.test(s) ? 'a character outside the base64 alphabet' : 'data after the padding');
      this.#addPadding(s.length);
      return EMPTY;
    }
    const pad = s.indexOf('=');
    const data = pad === -1 ? s : s.slice(0, pad);
    const joined = this.#carry + data;
    const whole = joined.length - (joined.length % 4);
    const carry = joined.slice(whole);
    if (!ALPHABET_ONLY.test(carry)) throw this.#invalid('a character outside the base64 alphabet');
    const out = whole === 0 ? EMPTY : this.#decodeGroups(joined.length === whole ? joined : joined.slice(0, whole));
    this.#carry = carry;
    if (pad !== -1) {
      if (!ONLY_PADDING.test(s.slice(pad))) {
        throw this.#invalid(INVALID_CHARACTER.test(s.slice(pad)) ? 'a character outside the base64 alphabet' : 'data after the padding');
      }
      // '=' may only stand for the 3rd and 4th character of a group.
      if (this.#carry.length < 2) throw this.#invalid('misplaced padding');
      this.#addPadding(s.length - pad);
    }
    return out;
  }

  /**
   * Whole 4-character groups, no whitespace, no '=', decoded natively into a buffer of exactly their size. Node's
   * decoder also reads the URL alphabet ('-', '_'), would fold a character above U+00FF onto a byte, and skips any
   * other character it does not know: so the groups must be ASCII without '-' or '_', and then a write that fills
   * the buffer exactly proves every character was in the alphabet (each skipped one leaves it short). This
   * replaced a regular expression that checked ~250 MB/s; base64.test.ts tries every UTF-16 code unit.
   */
  #decodeGroups(groups: string): Buffer {
    const out = Buffer.allocUnsafe((groups.length / 4) * 3);
    if (Buffer.byteLength(groups, 'utf8') !== groups.length || groups.includes('-') || groups.includes('_')
      || out.write(groups, 'base64') !== out.length) {
      throw this.#invalid('a character outside the base64 alphabet');
    }
    return out;
  }

  /** Ends the payload; returns the last bytes. Unpadded endings of 2 or 3 characters are accepted. */
  end(): Buffer {
    const rest = this.#carry;
    const pads = this.#pads;
    this.#carry = '';
    this.#pads = 0;
    if (pads > 0 && rest.length + pads !== 4) throw this.#invalid('padding that does not end a 4-character group');
    if (rest.length === 1) throw this.#invalid('a truncated last group');
    return rest.length === 0 ? EMPTY : Buffer.from(rest, 'base64');
  }

  #addPadding(count: number): void {
    this.#pads += count;
    if (this.#carry.length + this.#pads > 4) throw this.#invalid('padding that does not end a 4-character group');
  }

  #invalid(what: string): EdxmlError {
    return new EdxmlError('VDXP_E_BASE64_INVALID', `Attachment payload is not valid base64: ${what}`, {
      ...(this.#path === undefined ? {} : { path: this.#path }),
    });
  }
}

const EMPTY = Buffer.alloc(0);
/** Four native scans: far cheaper than the regular expression on the usual payload, one line of base64. */
const hasWhitespace = (t: string): boolean => t.includes('\n') || t.includes(' ') || t.includes('\r') || t.includes('\t');
const INVALID_CHARACTER = /[^A-Za-z0-9+/=]/;

/** Encodes byte slices to base64 text slices; concatenated, the output is the base64 of the whole input. */
export class Base64Encoder {
  #carry: Buffer = EMPTY;

  push(chunk: Uint8Array): string {
    const bytes = this.#carry.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
      : Buffer.concat([this.#carry, chunk]);
    const whole = bytes.length - (bytes.length % 3);
    this.#carry = Buffer.from(bytes.subarray(whole));
    return bytes.subarray(0, whole).toString('base64');
  }

  end(): string {
    const rest = this.#carry;
    this.#carry = EMPTY;
    return rest.toString('base64');
  }
}
