// The older sendEdoc form: a multipart/form-data body whose part `file_doc` is the packet. Parsed as a stream
// (node has no multipart parser and we add no dependency): the part's bytes are handed on as they arrive, so
// memory stays bounded by one chunk plus the boundary, whatever the packet's size.

import type { ByteSource } from '@vdxp/edxml';
import { HubError } from '../../errors.ts';

const CRLF = Buffer.from('\r\n');

/** The boundary of a multipart/form-data Content-Type, or undefined for any other type. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return undefined;
  const m = /;\s*boundary\s*=\s*(?:"([^"]{1,200})"|([^\s;"]{1,200}))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw new HubError('VDXP_E_VDXP_MULTIPART', 'Content-Type multipart/form-data khong co boundary (has no boundary parameter)');
  return boundary;
}

/** Pulls chunks from a byte stream into one growing buffer, only as far as asked. */
class Pull {
  buf: Buffer = Buffer.alloc(0);
  ended = false;
  readonly #it: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;

  constructor(source: ByteSource) {
    this.#it = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  }

  /** Reads one more chunk; false at the end of the stream. */
  async more(): Promise<boolean> {
    if (this.ended) return false;
    const r = await this.#it.next();
    if (r.done === true) {
      this.ended = true;
      return false;
    }
    const chunk = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    return true;
  }

  async atLeast(n: number): Promise<boolean> {
    while (this.buf.length < n) if (!(await this.more())) return false;
    return true;
  }

  take(n: number): Buffer {
    const head = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return head;
  }
}

function partName(headerBlock: string): string | undefined {
  for (const line of headerBlock.split('\r\n')) {
    const m = /^content-disposition\s*:(.*)$/i.exec(line);
    if (!m) continue;
    const name = /;\s*name\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(m[1] ?? '');
    return name?.[1] ?? name?.[2];
  }
  return undefined;
}

/**
 * Yields the bytes of the first part named `file_doc`, skipping the others, and reads the body to its closing
 * delimiter (a body cut short is refused, not taken for a shorter packet). A body that does not start with a
 * delimiter but with XML (a client that sets the multipart type and writes the raw file) is yielded whole.
 */
export async function* fileDocPart(source: ByteSource, boundary: string, headerBytesMax: number): AsyncGenerator<Uint8Array> {
  const dash = Buffer.from(`--${boundary}`, 'latin1');
  const delimiter = Buffer.concat([CRLF, dash]);
  const p = new Pull(source);
  const fail = (why: string): HubError => new HubError('VDXP_E_VDXP_MULTIPART', `Than multipart khong hop le: ${why}`);

  await p.atLeast(dash.length);
  if (!p.buf.subarray(0, dash.length).equals(dash)) {
    const first = p.buf.subarray(0, 64).toString('latin1').trimStart();
    if (first.startsWith('<') || first.startsWith('\u00ef\u00bb\u00bf')) {
      // Not multipart at all: the raw packet under a multipart Content-Type.
      if (p.buf.length > 0) yield p.take(p.buf.length);
      while (await p.more()) yield p.take(p.buf.length);
      return;
    }
    // A preamble before the first delimiter (allowed by RFC 2046), bounded like part headers.
    for (;;) {
      const at = p.buf.indexOf(delimiter);
      if (at >= 0) {
        p.take(at + CRLF.length);
        break;
      }
      if (p.buf.length > headerBytesMax) throw fail('no delimiter where the body starts (no --boundary)');
      if (!(await p.more())) throw fail('no delimiter in the body (no --boundary)');
    }
  }
  let found = false;
  for (;;) {
    // At a delimiter: "--boundary" then "--" (the end) or optional padding and CRLF (a part follows).
    p.take(dash.length);
    if (!(await p.atLeast(2))) throw fail('the body ends right after a delimiter');
    if (p.buf[0] === 0x2d && p.buf[1] === 0x2d) break;
    for (;;) {
      const eol = p.buf.indexOf(CRLF);
      if (eol >= 0) {
        if (p.buf.subarray(0, eol).toString('latin1').trim() !== '') throw fail('text after a delimiter');
        p.take(eol + CRLF.length);
        break;
      }
      if (p.buf.length > headerBytesMax || !(await p.more())) throw fail('a delimiter line does not end');
    }
    let headerEnd: number;
    for (;;) {
      headerEnd = p.buf.subarray(0, 2).equals(CRLF) ? 0 : p.buf.indexOf('\r\n\r\n');
      if (headerEnd >= 0) break;
      if (p.buf.length > headerBytesMax) throw fail(`part headers longer than ${headerBytesMax} bytes`);
      if (!(await p.more())) throw fail('the body ends inside part headers');
    }
    const name = partName(p.take(headerEnd).toString('utf8'));
    p.take(headerEnd === 0 ? 2 : 4);
    const wanted: boolean = !found && name === 'file_doc';
    found ||= wanted;
    // The part's content runs up to the next CRLF--boundary; keep back what could be the start of one.
    for (;;) {
      const at = p.buf.indexOf(delimiter);
      if (at >= 0) {
        const content = p.take(at);
        if (wanted && content.length > 0) yield content;
        p.take(CRLF.length);
        break;
      }
      const safe = p.buf.length - (delimiter.length - 1);
      if (safe > 0) {
        const content = p.take(safe);
        if (wanted) yield content;
      }
      if (!(await p.more())) throw fail('the body ends inside a part (no closing --boundary--)');
    }
  }
  // The epilogue after the closing delimiter is ignored, but read, so the request is consumed.
  while (await p.more()) p.take(p.buf.length);
  if (!found) throw fail('no part named file_doc');
}
