// A 50 MB packet, generated and never held whole, is signed and verified in memory that does not grow with it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { signPacket } from './sign.ts';
import { PacketSignatureVerifier } from './verify.ts';
import type { SignatureVerdict } from './verify.ts';
import { edocPacket, makeTestSigner } from '../../test-support/signature.ts';
import type { TestSigner } from '../../test-support/signature.ts';

const ATTACHMENT_BASE64_BYTES = 50 * 1024 * 1024;
const GENERATOR_CHUNK_BYTES = 64 * 1024;
const MEMORY_SAMPLE_EVERY_CHUNKS = 80;
/** Retained heap may grow by this much at most while 50 MB go through twice (sign) and once (verify). */
const RETAINED_HEAP_GROWTH_BYTES_MAX = 8 * 1024 * 1024;
const MIB = 1024 * 1024;

// Retained memory is what matters, not garbage awaiting collection, so the samples are taken after a full GC.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Base64 as Windows producers write it (76 columns, CRLF), so the line-end normalisation runs at full size. */
function base64Block(): Buffer {
  const raw = Buffer.alloc(57 * 1000);
  let x = 0x2545f491;
  for (let i = 0; i < raw.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    raw[i] = x & 0xff;
  }
  const lines = raw.toString('base64').match(/.{1,76}/g) ?? [];
  return Buffer.from(lines.join('\r\n') + '\r\n');
}

describe('a 50 MB packet', () => {
  let signer: TestSigner;
  before(() => {
    signer = makeTestSigner();
  });
  after(() => signer.cleanup());

  it('is signed (two passes) and verified (one pass, fed by the signer output) with flat memory', async (t) => {
    const marker = 'ATTACHMENT-GOES-HERE';
    const [head = '', tail = ''] = edocPacket({ attachmentBase64: marker }).split(marker);
    const block = base64Block();
    let tamperAt = -1;
    let generated = 0;
    const samples: number[] = [];
    let chunks = 0;
    let sampling = true;
    const sample = (): void => {
      if (!sampling || ++chunks % MEMORY_SAMPLE_EVERY_CHUNKS !== 0) return;
      collectGarbage();
      samples.push(process.memoryUsage().heapUsed);
    };

    function* packet(): Generator<Uint8Array> {
      yield Buffer.from(head);
      let emitted = 0;
      while (emitted < ATTACHMENT_BASE64_BYTES) {
        for (let i = 0; i < block.length && emitted < ATTACHMENT_BASE64_BYTES; i += GENERATOR_CHUNK_BYTES) {
          const chunk = block.subarray(i, Math.min(i + GENERATOR_CHUNK_BYTES, block.length, i + ATTACHMENT_BASE64_BYTES - emitted));
          emitted += chunk.length;
          sample();
          yield chunk;
        }
      }
      generated = Buffer.byteLength(head) + emitted + Buffer.byteLength(tail);
      yield Buffer.from(tail);
    }

    const verifyOutput = (verifier: PacketSignatureVerifier): Writable =>
      new Writable({
        write(chunk: Buffer, _encoding, callback): void {
          try {
            if (tamperAt >= 0 && tamperAt < chunk.length) {
              // One base64 character, deep in the attachment, flipped on the way out.
              const copy = Buffer.from(chunk);
              copy[tamperAt] = copy[tamperAt] === 0x41 ? 0x42 : 0x41;
              chunk = copy;
              tamperAt = -1;
            } else if (tamperAt >= 0) {
              tamperAt -= chunk.length;
            }
            verifier.write(chunk);
            callback();
          } catch (e) {
            callback(e as Error);
          }
        },
      });

    collectGarbage();
    const baseline = process.memoryUsage();
    const started = performance.now();
    const verifier = new PacketSignatureVerifier();
    const result = await signPacket(packet, signer, verifyOutput(verifier));
    const verdict: SignatureVerdict = verifier.end();
    const seconds = (performance.now() - started) / 1000;
    const peakRss = process.memoryUsage().rss;

    assert.ok(verdict.present && verdict.valid, JSON.stringify(verdict));
    assert.equal(result.bytesRead, generated);
    assert.ok(generated > ATTACHMENT_BASE64_BYTES);
    const retainedGrowth = Math.max(...samples) - baseline.heapUsed;
    t.diagnostic(
      `${(generated / MIB).toFixed(1)} MiB: sign (2 passes) + verify in ${seconds.toFixed(2)} s ` +
        `(${((3 * generated) / MIB / seconds).toFixed(0)} MiB/s over the 3 passes); ` +
        `retained heap growth ${(retainedGrowth / MIB).toFixed(2)} MiB over ${samples.length} samples; ` +
        `rss ${(baseline.rss / MIB).toFixed(0)} → ${(peakRss / MIB).toFixed(0)} MiB`,
    );
    assert.ok(samples.length >= 10, 'memory was sampled throughout');
    assert.ok(
      retainedGrowth < RETAINED_HEAP_GROWTH_BYTES_MAX,
      `retained heap grew by ${(retainedGrowth / MIB).toFixed(1)} MiB for a ${(generated / MIB).toFixed(0)} MiB packet`,
    );

    // The same bytes with one character changed 40 MB in must fail: the digest really covers the far end. Without
    // the forced collections this run also gives the throughput.
    tamperAt = Buffer.byteLength(head) + 40 * MIB;
    sampling = false;
    const tamperedVerifier = new PacketSignatureVerifier();
    const restarted = performance.now();
    const signedAgain = await signPacket(packet, signer, verifyOutput(tamperedVerifier));
    const tampered = tamperedVerifier.end();
    const rerunSeconds = (performance.now() - restarted) / 1000;
    t.diagnostic(
      `without memory sampling: ${rerunSeconds.toFixed(2)} s, ${((2 * generated) / MIB / rerunSeconds).toFixed(0)} MiB/s ` +
        'parsed and canonicalized (sign pass 1 + verify), pass 2 being a copy',
    );
    assert.equal(signedAgain.digestValue, result.digestValue);
    assert.ok(tampered.present && !tampered.valid && /changed after signing/.test(tampered.reason), JSON.stringify(tampered));
  });
});
