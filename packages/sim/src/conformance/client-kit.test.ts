// The conformance kit's proof: a reference agency passes every scenario; an agency with one fault fails exactly
// the scenarios that fault breaks (06 before 03; acks without storing; a resend under a new DocumentId).

import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ClientNativeTransport } from '../transport.ts';
import { ClientConformanceKit, COUNTERPART_AGENCY, VENDOR_AGENCY, type ConformanceReport } from './client-kit.ts';
import { ReferenceAgency, type AgencyFaults } from './reference-agency.ts';

async function runKit(faults: AgencyFaults): Promise<ConformanceReport> {
  const kit = new ClientConformanceKit({ port: 0, scenarioTimeoutMs: 10_000, largeBytes: 2 * 1024 * 1024 });
  await kit.start();
  // The port is chosen at start; after the restart scenario the kit listens on the same one.
  const agency = new ReferenceAgency({ transport: new ClientNativeTransport(kit.url), token: kit.token, agency: VENDOR_AGENCY, faults });
  try {
    await agency.start();
    await agency.send(COUNTERPART_AGENCY, 1);
    return await kit.run();
  } finally {
    await agency.stop();
    await kit.close();
  }
}

const failed = (r: ConformanceReport): string[] => r.scenarios.filter((s) => !s.passed).map((s) => s.id);

describe('vdxp conformance client', () => {
  it('passes the reference agency in every scenario', async () => {
    const r = await runKit({});
    assert.deepEqual(failed(r), [], JSON.stringify(r.scenarios.filter((s) => !s.passed), null, 2));
    assert.equal(r.passed, true);
    assert.equal(r.scenarios.length, 9);
  });

  it('fails an agency that answers 06 before 03 in status-order only, naming the refusal', async () => {
    const r = await runKit({ finishedBeforeRegistered: true });
    assert.deepEqual(failed(r), ['status-order']);
    assert.match(r.scenarios.find((s) => s.id === 'status-order')?.reason ?? '', /refused a status out of order/);
  });

  it('fails an agency that acks without storing in every receiving scenario', async () => {
    const r = await runKit({ ackWithoutStoring: true });
    assert.deepEqual(failed(r), ['receive-attachments', 'receive-large', 'receive-business', 'recall', 'restart']);
    assert.match(r.scenarios.find((s) => s.id === 'receive-attachments')?.reason ?? '', /acked without storing/);
  });

  it('fails an agency that resends with a new DocumentId in no-duplicate-sends only', async () => {
    const r = await runKit({ resendWithNewDocumentId: true });
    assert.deepEqual(failed(r), ['no-duplicate-sends']);
  });
});
