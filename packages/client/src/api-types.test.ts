// The client's types cannot drift from the API: regenerated from a running hub's /openapi.json, they must be
// byte for byte the committed api-types.ts (run `bash scripts/dev.sh node scripts/client-types.ts` after
// changing the hub's description).

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, it } from 'node:test';
import { CLIENT_TYPES_FILE, generateClientTypes } from '../../../scripts/client-types.ts';
import { listen, startTestHub, type TestHub } from '../../hub/test-support/testkit.ts';

let t: TestHub;
let url: string;
let stop: () => Promise<void>;
before(async () => {
  t = await startTestHub();
  const s = await listen(t.hub);
  url = s.url;
  stop = async () => { await s.app.close(); await t.close(); };
});
after(async () => stop());

it('api-types.ts is what the running hub\'s /openapi.json generates', async () => {
  const res = await fetch(`${url}/openapi.json`);
  assert.equal(res.status, 200);
  const spec = await res.json() as Parameters<typeof generateClientTypes>[0];
  assert.equal(readFileSync(CLIENT_TYPES_FILE, 'utf8'), generateClientTypes(spec),
    'the committed client types differ from the hub\'s description: run "bash scripts/dev.sh node scripts/client-types.ts"');
});

it('a schema change shows as a difference (the comparison can fail)', async () => {
  const spec = await (await fetch(`${url}/openapi.json`)).json() as Parameters<typeof generateClientTypes>[0];
  const inbox = spec.components.schemas['InboxItem'];
  assert.ok(inbox?.properties);
  delete inbox.properties['subject'];
  assert.notEqual(readFileSync(CLIENT_TYPES_FILE, 'utf8'), generateClientTypes(spec));
});
