// Every error code of the hub is produced for real, with its HTTP status, over a real socket where an API
// answers it (registry refusals through the functions the CLI calls). The VDXP-compatible API's own codes
// (VDXP_E_VDXP_*) are proven by its tests.

import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { archive } from './archive.ts';
import { fetchPacket } from './delivery.ts';
import { describeError, HUB_ERRORS, type HubErrorCode } from './errors.ts';
import { openHub } from './hub.ts';
import { callsInFlight } from './http/admission.ts';
import { operatorLimits } from './limits.ts';
import { addAgency, addSystem, dissolveAgency, importAgencies, mergeAgency, rotateSystemCredentials } from './registry.ts';
import { edoc, inlinePackets, listen, startTestHub, statusPacket, type TestHub } from '../test-support/testkit.ts';
import { waitFor } from '../test-support/wait-for.ts';

let t: TestHub;
let url: string;
let stop: () => Promise<void>;
const seen = new Map<string, number>();

before(async () => {
  t = await startTestHub({ limits: { recipientsMax: 3 } });
  const s = await listen(t.hub);
  url = s.url;
  stop = async () => { await s.app.close(); await t.close(); };
});
after(async () => stop());

async function http(who: string | null, method: string, path: string, body?: Uint8Array | object): Promise<{ status: number; code: string | undefined }> {
  const token = who === null ? undefined : who.startsWith('vdxp_') ? who : t.systems[who]?.token;
  const res = await fetch(url + path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body && !(body instanceof Uint8Array) ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: body instanceof Uint8Array ? body : JSON.stringify(body) } : {}),
  });
  const json = (await res.json()) as { error?: { code: string } };
  if (json.error) seen.set(json.error.code, res.status);
  return { status: res.status, code: json.error?.code };
}

async function refused(p: Promise<unknown>): Promise<string> {
  try { await p; } catch (e) { const d = describeError(e); seen.set(d.code, d.status); return d.code; }
  assert.fail('expected a refusal');
}

it('produces every hub error code with its status', async () => {
  const expect = async (r: Promise<{ status: number; code: string | undefined }>, code: HubErrorCode): Promise<void> => {
    const got = await r;
    assert.equal(got.code, code);
    assert.equal(got.status, HUB_ERRORS[code].status, code);
  };
  const send = (who: string, body: Uint8Array): Promise<{ status: number; code: string | undefined }> => http(who, 'POST', '/v1/documents', body);

  await expect(http(null, 'GET', '/v1/inbox'), 'VDXP_E_AUTH_MISSING');
  await expect(http('vdxp_nobody', 'GET', '/v1/inbox'), 'VDXP_E_AUTH_INVALID');
  await expect(send('gov', await edoc('000.00.00.H41', ['000.00.00.G12'])), 'VDXP_E_FROM_NOT_ALLOWED');
  await expect(send('gov', await edoc('000.00.00.G22', ['999.99.99.Z99'])), 'VDXP_E_RECIPIENT_UNKNOWN');
  await dissolveAgency(t.hub.ctx, '000.00.00.H99', null, 'test');
  await expect(send('gov', await edoc('000.00.00.G22', ['000.00.00.H99'])), 'VDXP_E_RECIPIENT_INACTIVE');
  await expect(send('gov', await edoc('000.00.00.G22', ['000.00.00.H41', '000.00.00.H14', '000.00.00.G12', '000.00.15.H41'])), 'VDXP_E_RECIPIENTS_TOO_MANY');
  await expect(send('gov', await statusPacket('000.00.00.G22', '000.00.00.H41', 'x', '77')), 'VDXP_E_PACKET_INVALID');
  t.hub.ctx.policy.requireValidSignature = true;
  await expect(send('gov', await edoc('000.00.00.G22', ['000.00.00.H41'])), 'VDXP_E_SIGNATURE_REQUIRED_VALID');
  t.hub.ctx.policy.requireValidSignature = false;
  await expect(send('nghean', await statusPacket('000.00.00.H41', '000.00.00.G22', 'never-sent', '01')), 'VDXP_E_STATUS_DOCUMENT_UNKNOWN');

  // An archived document's packet has left the live store: fetching it answers its own code, not a corrupt blob.
  const old = (await (await fetch(`${url}/v1/documents`, { method: 'POST', headers: { authorization: `Bearer ${t.systems['gov']?.token}` }, body: await edoc('000.00.00.G22', ['000.00.00.H14']) })).json()) as { deliveries: { id: string }[] };
  const oldDelivery = old.deliveries[0]?.id ?? '';
  assert.equal((await http('caobang', 'POST', `/v1/deliveries/${oldDelivery}/ack`, { result: 'done' })).status, 200);
  t.clock.advance(100 * 24 * 3600 * 1000);
  assert.equal((await archive(t.hub.ctx, { archiveDir: join(t.dir, 'archive'), olderThanMs: 90 * 24 * 3600 * 1000, actor: 'test' })).archives.length, 1);
  await expect(http('caobang', 'GET', `/v1/deliveries/${oldDelivery}/packet`), 'VDXP_E_DOCUMENT_ARCHIVED');

  const first = await fetch(`${url}/v1/documents`, { method: 'POST', headers: { authorization: `Bearer ${t.systems['gov']?.token}` }, body: await edoc('000.00.00.G22', ['000.00.00.H41']) });
  const sent = (await first.json()) as { id: string; deliveries: { id: string }[] };
  const docId = (await t.hub.ctx.store.getDocument(sent.id))?.edxmlId ?? '';
  await expect(send('caobang', await statusPacket('000.00.00.H14', '000.00.00.G22', docId, '01')), 'VDXP_E_STATUS_NOT_PARTY');
  await expect(send('nghean', await statusPacket('000.00.00.H41', '000.00.00.G22', docId, '05')), 'VDXP_E_STATUS_TRANSITION');
  await expect(http('mof', 'GET', `/v1/deliveries/${sent.deliveries[0]?.id}/packet`), 'VDXP_E_DELIVERY_NOT_FOUND');
  await send('gov', await statusPacket('000.00.00.G22', '000.00.00.H41', docId, '13'));
  await expect(http('nghean', 'GET', `/v1/deliveries/${sent.deliveries[0]?.id}/packet`), 'VDXP_E_DELIVERY_GONE');
  await expect(http('mof', 'GET', `/v1/documents/${sent.id}`), 'VDXP_E_DOCUMENT_NOT_FOUND');
  await expect(http('mof', 'GET', '/v1/inbox?kind=letters'), 'VDXP_E_BAD_REQUEST');
  await expect(http('mof', 'GET', '/v1/nowhere'), 'VDXP_E_NOT_FOUND');
  await expect(http('mof', 'GET', `/v1/inbox/stream?prefetch=${t.hub.ctx.limits.streamPrefetchMax + 1}`), 'VDXP_E_STREAM_PREFETCH');
  await expect(http('mof', 'POST', '/v1/deliveries/ack', Array.from({ length: t.hub.ctx.limits.ackBatchItemsMax + 1 }, () => ({ deliveryId: 'x', result: 'done' }))), 'VDXP_E_ACK_BATCH_TOO_LARGE');

  // A stored packet whose bytes changed is never handed out as if intact. This small one is kept inline: all
  // its bytes are checked before the first is sent (a file's last chunk waits for the check: lifecycle.test.ts).
  const victim = (await (await fetch(`${url}/v1/documents`, { method: 'POST', headers: { authorization: `Bearer ${t.systems['gov']?.token}` }, body: await edoc('000.00.00.G22', ['000.00.00.G12']) })).json()) as { id: string; digest: string; deliveries: { id: string }[] };
  inlinePackets.set(t.dir, victim.digest, Buffer.from('tampered'));
  const mof = await t.hub.ctx.store.getSystem('sys.mof');
  assert.ok(mof);
  assert.equal(await refused(fetchPacket(t.hub.ctx, mof, victim.deliveries[0]?.id ?? '')), 'VDXP_E_BLOB_CORRUPT');
  await expect(http('mof', 'GET', `/v1/deliveries/${victim.deliveries[0]?.id}/packet`), 'VDXP_E_BLOB_CORRUPT');

  // Registry refusals, as the operator CLI meets them.
  assert.equal(await refused(mergeAgency(t.hub.ctx, 'no.such', '000.00.00.G22', 'test')), 'VDXP_E_AGENCY_UNKNOWN');
  assert.equal(await refused(addAgency(t.hub.ctx, { code: '000.00.00.G22', name: 'again' }, 'test')), 'VDXP_E_AGENCY_EXISTS');
  assert.equal(await refused(rotateSystemCredentials(t.hub.ctx, 'no.such', 'test')), 'VDXP_E_SYSTEM_UNKNOWN');
  assert.equal(await refused(addSystem(t.hub.ctx, { id: 'sys.gov', agencies: [] }, 'test')), 'VDXP_E_SYSTEM_EXISTS');
  assert.equal(await refused(importAgencies(t.hub.ctx, [{ code: 'ok', name: 'ok' }, { code: 'has space', name: 'x' }], 'test')), 'VDXP_E_IMPORT_INVALID');
  assert.equal(await t.hub.ctx.store.getAgency('ok'), undefined, 'a refused import imports nothing');

  // Start-up refusals, as `vdxp serve` and the CLI meet them: a data folder others can write, a limit out of range.
  const unsafe = mkdtempSync(join(tmpdir(), 'vdxp-unsafe-'));
  chmodSync(unsafe, 0o777);
  assert.equal(await refused(openHub({ dataDir: unsafe })), 'VDXP_E_DATA_FOLDER_UNSAFE');
  rmSync(unsafe, { recursive: true, force: true });
  assert.equal(await refused(Promise.resolve().then(() => operatorLimits({ deliveryAttemptsMax: 0 }))), 'VDXP_E_LIMIT_INVALID');

  // An unexpected failure (here: the store is gone) is a 500 with a code, never a stack trace.
  const broken = await startTestHub();
  const s = await listen(broken.hub);
  await broken.hub.ctx.store.close();
  const res = await fetch(`${s.url}/v1/inbox`, { headers: { authorization: `Bearer ${broken.systems['gov']?.token}` } });
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.equal(res.status, 500);
  assert.equal(body.error.code, 'VDXP_E_INTERNAL');
  assert.doesNotMatch(body.error.message, /at |\.ts/);
  seen.set(body.error.code, res.status);
  await s.app.close();
  rmSync(broken.dir, { recursive: true, force: true });

  // One call too many of one system (admission.test.ts proves the rest): a long-poll holds the only place.
  const busy = await startTestHub({ limits: { callsInFlightPerSystemMax: 1 } });
  const b = await listen(busy.hub);
  const gov = { authorization: `Bearer ${busy.systems['gov']?.token}` };
  const poll = new AbortController();
  const held = fetch(`${b.url}/v1/inbox?wait=20`, { headers: gov, signal: poll.signal }).catch(() => undefined);
  await waitFor(() => callsInFlight(busy.hub.ctx).get('sys.gov') === 1, { what: 'the long-poll in flight' });
  const tooMany = await fetch(`${b.url}/v1/stats`, { headers: gov });
  const tooManyBody = (await tooMany.json()) as { error: { code: string } };
  assert.equal(tooMany.status, 429);
  seen.set(tooManyBody.error.code, tooMany.status);
  poll.abort();
  await held;
  await b.app.close();
  await busy.close();

  // The VDXP API's codes are proven by its tests, the console's (VDXP_E_CONSOLE_*) by console.test.ts and calendar.test.ts.
  // Codes only a PostgreSQL-backed hub can meet are produced by the tests that start one (named here).
  const onPostgres: Partial<Record<HubErrorCode, string>> = {
    VDXP_E_SCHEMA_NEWER: 'store/postgres/postgres-store.test.ts', VDXP_E_KEY_MISMATCH: 'scale-out.test.ts', VDXP_E_DATABASE_UNAVAILABLE: 'scale-out.test.ts',
  };
  const missing = (Object.keys(HUB_ERRORS) as HubErrorCode[]).filter((c) => !c.startsWith('VDXP_E_VDXP_') && !c.startsWith('VDXP_E_CONSOLE_') && !seen.has(c) && onPostgres[c] === undefined);
  assert.deepEqual(missing, [], 'every hub code was produced');
});
