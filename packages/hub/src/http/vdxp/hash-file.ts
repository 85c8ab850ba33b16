// sendEdoc's `hash-file` header: the SHA-256 of the packet in hex as SDKVXP writes it (each byte with
// Integer.toHexString, so without zero padding: 0x0b is "b", 62–64 characters) or in standard 64-digit hex.

import { createHash } from 'node:crypto';
import type { ByteSource } from '@vdxp/edxml';
import { HubError } from '../../errors.ts';

/** The SDK's form of a digest given in standard hex. */
export function unpaddedHex(digestHex: string): string {
  let out = '';
  for (let i = 0; i < digestHex.length; i += 2) out += Number.parseInt(digestHex.slice(i, i + 2), 16).toString(16);
  return out;
}

/** The header, lowercased, or a refusal when it cannot be a SHA-256 in either form. */
export function parseHashFile(value: string | undefined): string {
  const v = value?.trim().toLowerCase() ?? '';
  if (!/^[0-9a-f]{32,64}$/.test(v)) {
    throw new HubError('VDXP_E_BAD_REQUEST', `hash-file "${value ?? ''}" khong phai SHA-256 dang hex (is not a SHA-256 in hex, 62-64 digits)`);
  }
  return v;
}

export function hashFileMatches(hashFile: string, digestHex: string): boolean {
  return hashFile === digestHex || hashFile === unpaddedHex(digestHex);
}

/**
 * Passes the body on, except a final CRLF that is not part of the file. SDKVXP 2.0.1 writes the file and then
 * "\r\n" (its MultipartUtility ends every part so, even when no boundary is written) while `hash-file` covers
 * the file alone. The latest chunk is held back (passed on as it came once another arrives: no copy); at the end
 * its last two bytes are dropped only when they are CRLF and the bytes before them match `hash-file`, so a body
 * whose own last bytes are CRLF is kept whole.
 */
export async function* withoutSdkTrailer(source: ByteSource, hashFile: string): AsyncGenerator<Uint8Array> {
  const hash = createHash('sha256');
  let held: Buffer | undefined;
  for await (const c of source) {
    if (c.byteLength === 0) continue;
    const chunk = Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    if (held === undefined) {
      held = chunk;
      continue;
    }
    // A one-byte chunk could be the LF of a CR held: keep the held chunk's last byte with it.
    const pass = chunk.length >= 2 ? held : held.subarray(0, held.length - 1);
    if (pass.length > 0) {
      hash.update(pass);
      yield pass;
    }
    held = chunk.length >= 2 ? chunk : Buffer.concat([held.subarray(held.length - 1), chunk]);
  }
  if (held === undefined) return;
  if (held.length >= 2 && held[held.length - 2] === 0x0d && held[held.length - 1] === 0x0a) {
    const file = held.subarray(0, held.length - 2);
    if (hashFileMatches(hashFile, hash.update(file).digest('hex'))) {
      if (file.length > 0) yield file;
      return;
    }
  }
  yield held;
}
