// Streaming base64: decode text that arrives in arbitrary slices, and encode bytes that arrive in arbitrary
// slices, without ever holding the whole payload. Decoding is strict (RFC 4648 alphabet, padding only at the
// end) because Buffer.from(…, 'base64') silently drops what it does not understand.

import { EdxmlError } from './errors.ts';

const NOT_BASE64 = /[^A-Za-z0-9+/=]/;
const WHITESPACE = /[\t\n\r ]+/g;

export class Base64Decoder {
  #carry = '';
  #padded = false;
  readonly #path: string | undefined;

  constructor(path?: string) {
    this.#path = path;
  }

  /** Decodes a slice; returns the bytes it completes (possibly empty). */
  push(text: string): Buffer {
    let s = text.replace(WHITESPACE, '');
    if (s.length === 0) return EMPTY;
    if (NOT_BASE64.test(s)) throw this.#invalid('a character outside the base64 alphabet');
    if (this.#padded) throw this.#invalid('data after the padding');
    const pad = s.indexOf('=');
    if (pad !== -1) {
      if (!/^=*$/.test(s.slice(pad)) || s.length - pad > 2) throw this.#invalid('misplaced padding');
      this.#padded = true;
    }
    s = this.#carry + s;
    const whole = this.#padded ? s.length : s.length - (s.length % 4);
    if (this.#padded && whole % 4 !== 0) throw this.#invalid('padding that does not end a 4-character group');
    this.#carry = s.slice(whole);
    return whole === 0 ? EMPTY : Buffer.from(s.slice(0, whole), 'base64');
  }

  /** Ends the payload; returns the last bytes. Unpadded endings of 2 or 3 characters are accepted. */
  end(): Buffer {
    const rest = this.#carry;
    this.#carry = '';
    if (rest.length === 1) throw this.#invalid('a truncated last group');
    return rest.length === 0 ? EMPTY : Buffer.from(rest, 'base64');
  }

  #invalid(what: string): EdxmlError {
    return new EdxmlError('VDXP_E_BASE64_INVALID', `Attachment payload is not valid base64: ${what}`, {
      ...(this.#path === undefined ? {} : { path: this.#path }),
    });
  }
}

const EMPTY = Buffer.alloc(0);

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
