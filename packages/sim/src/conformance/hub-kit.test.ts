// The hub conformance kit against vdxp's own hub over a real socket: every check passes; with a wrong secret
// the calls that need a signature fail, and the report says so.

import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addSystem, buildServer, importAgencies, openHub } from '@vdxp/hub';
import { HubConformanceKit } from './hub-kit.ts';

describe('vdxp conformance hub', () => {
  it('passes vdxp\'s own hub call by call, and fails everything when the secret is wrong', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vdxp-hubkit-'));
    const hub = await openHub({ dataDir: dir });
    const app = buildServer(hub);
    try {
      await importAgencies(hub.ctx, [{ code: '000.00.00.G22', name: 'Văn phòng Chính phủ' }], 'test');
      await addSystem(hub.ctx, { id: '000.00.00.G22', agencies: ['000.00.00.G22'], secret: 'kit-secret' }, 'test');
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      const r = await new HubConformanceKit({ endpoint: url, system: '000.00.00.G22', secret: 'kit-secret' }).run();
      assert.deepEqual(r.scenarios.filter((s) => !s.passed).map((s) => `${s.id}: ${s.reason}`), []);
      assert.deepEqual(r.scenarios.map((s) => s.id), ['auth-refused', 'agencies', 'hash-file-refused', 'send', 'resend-same-id', 'receive', 'ack', 'status', 'sent-list']);
      const wrong = await new HubConformanceKit({ endpoint: url, system: '000.00.00.G22', secret: 'not-it' }).run();
      assert.equal(wrong.passed, false);
      assert.ok(!(wrong.scenarios.find((s) => s.id === 'send')?.passed ?? true));
    } finally {
      await app.close();
      await hub.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
