// getEdoc's answer is the packet's base64 written chunk by chunk: whatever the chunking, the text is that of the
// whole packet encoded at once.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { base64Answer } from './edoc.ts';

async function answer(chunks: Buffer[]): Promise<string> {
  let out = '';
  for await (const s of base64Answer('{"data":"', (async function* gen() { yield* chunks; })(), '"}')) out += s;
  return out;
}

it('writes the same base64 as the whole packet encoded at once, for any chunking', async () => {
  const packet = randomBytes(200);
  for (let a = 0; a <= 12; a++) {
    for (let b = a; b <= 12; b++) {
      const chunks = [packet.subarray(0, a), packet.subarray(a, b), packet.subarray(b)];
      assert.equal(await answer(chunks), `{"data":"${packet.toString('base64')}"}`, `cuts at ${a} and ${b}`);
    }
  }
  assert.equal(await answer([...packet.subarray(0, 17)].map((x) => Buffer.from([x]))), `{"data":"${packet.subarray(0, 17).toString('base64')}"}`, 'one-byte chunks');
  assert.equal(await answer([]), '{"data":""}');
  const big = randomBytes(3 * 65536 + 7);
  const sizes = [65536, 1, 2, 65535, 65536, 4, 1];
  const parts: Buffer[] = [];
  let at = 0;
  for (const n of sizes) { parts.push(big.subarray(at, at + n)); at += n; }
  assert.equal(at, big.length);
  assert.equal(await answer(parts), `{"data":"${big.toString('base64')}"}`, 'blob-sized chunks, not multiples of 3');
});
