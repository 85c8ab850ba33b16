// Intake verifies XML signatures in the same pass that parses and stores: the verdict is recorded, and the
// operator may require valid signatures.

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { signPacket } from '@vdxp/edxml';
import { makeTestSigner, type TestSigner } from '../../edxml/test-support/signature.ts';
import { documentView } from './documents.ts';
import { HubError } from './errors.ts';
import { submitPacket } from './intake.ts';
import { edoc, startTestHub, type TestHub } from '../test-support/testkit.ts';

async function sign(packet: Buffer, signer: TestSigner): Promise<Buffer> {
  const parts: Buffer[] = [];
  const out = new Writable({ write(c: Buffer, _e, cb) { parts.push(c); cb(); } });
  await signPacket(() => [packet], { privateKey: signer.privateKey, certificate: signer.certificate }, out);
  return Buffer.concat(parts);
}

describe('signatures at intake', () => {
  let t: TestHub;
  let signer: TestSigner;
  before(async () => { t = await startTestHub(); signer = makeTestSigner(); });
  after(async () => t.close());

  it('records a valid signature with its certificate, and an invalid one without refusing it', async () => {
    const gov = await t.hub.ctx.store.getSystem('sys.gov');
    assert.ok(gov);
    const signed = await sign(await edoc('000.00.00.G22', ['000.00.00.H41']), signer);
    const ok = await submitPacket(t.hub.ctx, gov, [signed], { via: 'native' });
    const view = await documentView(t.hub.ctx, gov, ok.document.id);
    const verdict = view.signature as { present: boolean; valid: boolean; certificate?: { subject: string } };
    assert.equal(verdict.present, true);
    assert.equal(verdict.valid, true);
    assert.match(verdict.certificate?.subject ?? '', /Nghe An/);

    // A changed DocumentId (a changed Subject alone would be a resend of the same DocumentId, answered with the original).
    const tampered = Buffer.from(signed.toString('utf8').replaceAll('/TEST-', '/TESX-'));
    assert.notDeepEqual(tampered, signed);
    const bad = await submitPacket(t.hub.ctx, gov, [tampered], { via: 'native' });
    assert.equal(bad.created, true);
    assert.equal(((await documentView(t.hub.ctx, gov, bad.document.id)).signature as { valid: boolean }).valid, false);
  });

  it('refuses unsigned or badly signed packets when the operator requires valid signatures', async () => {
    t.hub.ctx.policy.requireValidSignature = true;
    try {
      const gov = await t.hub.ctx.store.getSystem('sys.gov');
      assert.ok(gov);
      await assert.rejects(submitPacket(t.hub.ctx, gov, [await edoc('000.00.00.G22', ['000.00.00.H41'])], { via: 'native' }),
        (e: unknown) => e instanceof HubError && e.code === 'VDXP_E_SIGNATURE_REQUIRED_VALID');
      const signed = await sign(await edoc('000.00.00.G22', ['000.00.00.H41']), signer);
      assert.equal((await submitPacket(t.hub.ctx, gov, [signed], { via: 'native' })).created, true);
    } finally {
      t.hub.ctx.policy.requireValidSignature = false;
    }
  });
});
