// An optional extra corpus of real packets (test-support/extra-corpus.ts: VDXP_EXTRA_CORPUS, else ../shared/samples/edxml/
// beside the repository when it is there. Without it this file defines no tests: the suite is whole with the
// project's own examples. With it, each packet must parse the same however it is sliced, pass lenient
// validation, verify as unsigned, and sign so that it verifies.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { parsePacket, parsePacketBytes } from './parse.ts';
import { signPacket, verifyPacketSignature, type PacketSigningKey } from './signature/index.ts';
import { hasErrors, validatePacket } from './validate.ts';
import { EXTRA_CORPUS_DIR, EXTRA_CORPUS_FILES } from '../test-support/extra-corpus.ts';

const DIR = EXTRA_CORPUS_DIR;
const FILES = EXTRA_CORPUS_FILES;

if (FILES.length > 0) {
  describe(`extra corpus: ${FILES.length} packets in ${DIR.pathname}`, () => {
    // A throwaway key and self-signed certificate (openssl, which the suite's setup installs).
    const keyDir = mkdtempSync(join(tmpdir(), 'vdxp-extra-corpus-'));
    let signer: PacketSigningKey;
    before(() => {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/C=VN/O=VDXP Test/CN=Extra corpus', '-days', '1',
        '-keyout', join(keyDir, 'key.pem'), '-out', join(keyDir, 'cert.pem')], { stdio: 'ignore' });
      signer = { privateKey: readFileSync(join(keyDir, 'key.pem')), certificate: readFileSync(join(keyDir, 'cert.pem')) };
    });
    after(() => rmSync(keyDir, { recursive: true, force: true }));

    for (const file of FILES) {
      it(`${file}: one piece, byte by byte and cut around each payload's end give the same packet`, async () => {
        const raw = readFileSync(new URL(file, DIR));
        const whole = await parsePacketBytes(raw);
        const bytes = function* (): Generator<Uint8Array> { for (const b of raw) yield Uint8Array.of(b); };
        assert.deepEqual(await parsePacket(bytes()), whole);
        const text = raw.toString('latin1');
        for (const m of text.matchAll(/<(?:\w+:)?ContentTransferEncoded\b[^>]*>([^<]*)</g)) {
          const end = (m.index ?? 0) + m[0].length - 1;
          const b64 = (m[1] ?? '').replace(/\s+/g, '');
          const digest = createHash('sha256').update(Buffer.from(b64, 'base64')).digest('hex');
          assert.ok(whole.attachments.some((a) => a.sha256 === digest), 'the payload decodes as Buffer.from does');
          for (let at = Math.max(0, end - 8); at <= end + 2; at++) {
            const p = await parsePacket([raw.subarray(0, at), raw.subarray(at)]);
            assert.deepEqual(p.attachments.map((a) => a.sha256), whole.attachments.map((a) => a.sha256), `cut at ${at}`);
          }
        }
        assert.equal(hasErrors(validatePacket(whole, 'lenient')), false);
      });

      it(`${file}: unsigned, and signs so that it verifies`, async () => {
        const raw = readFileSync(new URL(file, DIR));
        assert.deepEqual(await verifyPacketSignature([raw]), { present: false }, 'a signed packet cannot be signed again (sign.test.ts)');
        const parts: Buffer[] = [];
        const output = new Writable({ write(c: Buffer, _e, cb) { parts.push(c); cb(); } });
        await signPacket(() => [raw.subarray(0, 512), raw.subarray(512)], signer, output);
        const verdict = await verifyPacketSignature([Buffer.concat(parts)]);
        assert.ok(verdict.present && verdict.valid, JSON.stringify(verdict));
      });
    }
  });
}
