// The console's API over a real socket: login (and a wrong password, the rate limit), CSRF, roles, scope (a
// Nghệ An leader is refused Hà Nội's documents), the overview's numbers against what the test exchanged, the
// overdue list as the clock passes a deadline and as the answer arrives, exports, and a console merge that
// routes the next document to the successor. Every VDXP_E_CONSOLE_* code is produced here.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HUB_ERRORS } from './errors.ts';
import { importAgencies, addSystem, type Credentials } from './registry.ts';
import { addUser, disableUser, resetPassword } from './users.ts';
import { edoc, listen, startTestHub, statusPacket, type TestHub } from '../test-support/testkit.ts';
import { csvText } from './console.ts';
import { VdxpTestClient } from '../test-support/vdxp-test-client.ts';

const FAST_SCRYPT = { passwordScryptCost: 1024, passwordScryptParallelization: 1 };
const PASSWORD = 'mật-khẩu-thử-1';

let t: TestHub;
let url: string;
let stop: () => Promise<void>;
let hanoi: Credentials;
const seen = new Map<string, number>();

before(async () => {
  t = await startTestHub({ limits: { ...FAST_SCRYPT, loginFailuresPerAccountMax: 3 } });
  await importAgencies(t.hub.ctx, [{ code: '000.00.00.H24', name: 'UBND thành phố Hà Nội' }, { code: '000.00.15.H24', name: 'Sở Nội vụ Hà Nội' }], 'test');
  hanoi = await addSystem(t.hub.ctx, { id: 'sys.hanoi', agencies: ['000.00.00.H24', '000.00.15.H24'] }, 'test');
  const s = await listen(t.hub);
  url = s.url;
  stop = async () => { await s.app.close(); await t.close(); };
  await addUser(t.hub.ctx, { username: 'vpcp', role: 'leader', scope: null, password: PASSWORD }, 'test');
  await addUser(t.hub.ctx, { username: 'nghean', role: 'leader', scope: '000.00.00.H41', password: PASSWORD }, 'test');
  await addUser(t.hub.ctx, { username: 'ops', role: 'operator', scope: null, password: PASSWORD }, 'test');
  await addUser(t.hub.ctx, { username: 'ops.nghean', role: 'operator', scope: '000.00.00.H41', password: PASSWORD }, 'test');
});
after(async () => stop());

class Browser {
  cookie = '';
  csrf = '';
  async call(method: string, path: string, body?: object, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown>; res: Response }> {
    const res = await fetch(url + path, {
      method,
      headers: {
        ...(this.cookie ? { cookie: this.cookie } : {}), ...(this.csrf && method !== 'GET' ? { 'x-csrf-token': this.csrf } : {}),
        ...(body ? { 'content-type': 'application/json' } : {}), ...headers,
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const setCookie = res.headers.get('set-cookie');
    if (setCookie) this.cookie = setCookie.split(';')[0] ?? '';
    const type = res.headers.get('content-type') ?? '';
    const json = type.includes('json') ? (await res.json()) as Record<string, unknown> : {};
    const code = (json['error'] as { code?: string } | undefined)?.code;
    if (code) seen.set(code, res.status);
    return { status: res.status, json, res };
  }
  async login(username: string, password = PASSWORD): Promise<number> {
    const r = await this.call('POST', '/console/api/login', { username, password });
    if (r.status === 200) this.csrf = r.json['csrf'] as string;
    return r.status;
  }
}

const errorCode = (r: { json: Record<string, unknown> }): string | undefined => (r.json['error'] as { code?: string } | undefined)?.code;

async function send(token: string, packet: Buffer): Promise<{ id: string; deliveries: { id: string; recipient: string }[] }> {
  const res = await fetch(`${url}/v1/documents`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: packet });
  assert.ok(res.status === 201 || res.status === 200, `submit answered ${res.status}`);
  return (await res.json()) as { id: string; deliveries: { id: string; recipient: string }[] };
}

describe('console API', () => {
  it('logs in with a session cookie (HttpOnly, SameSite), refuses a wrong password, and records both', async () => {
    const b = new Browser();
    assert.equal(errorCode(await b.call('GET', '/console/api/overview')), 'VDXP_E_CONSOLE_AUTH');
    assert.deepEqual((await b.call('GET', '/console/api/me')).json, { user: null }, 'asking who is logged in is not an error');
    assert.deepEqual((await b.call('GET', '/console/api/me?overview=1')).json, { user: null }, 'nor with the overview asked along: none for nobody');
    assert.equal(await b.login('vpcp', 'wrong password!'), 401);
    assert.equal(await b.login('nobody', 'wrong password!'), 401);
    const res = await fetch(`${url}/console/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'vpcp', password: PASSWORD }) });
    const setCookie = res.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    assert.doesNotMatch(setCookie, /Secure/, 'plain HTTP: no Secure flag');
    assert.equal(await b.login('vpcp'), 200);
    const me = await b.call('GET', '/console/api/me');
    assert.equal((me.json['user'] as { username: string }).username, 'vpcp');
    assert.equal((me.json['user'] as Record<string, unknown>)['passwordHash'], undefined);
    const types = (await t.hub.ctx.store.events(0, 10_000)).map((e) => e.type);
    assert.ok(types.includes('console:login') && types.includes('console:login-failed') && types.includes('user:added'));
  });

  it('rate-limits failed logins per account, even with the right password afterwards', async () => {
    await addUser(t.hub.ctx, { username: 'target', role: 'leader', scope: null, password: PASSWORD }, 'test');
    const b = new Browser();
    for (let i = 0; i < 3; i++) assert.equal(await b.login('target', `wrong password ${i}`), 401);
    assert.equal(await b.login('target'), 429);
    t.clock.advance(16 * 60 * 1000);
    assert.equal(await b.login('target'), 200, 'the window passed');
  });

  it('ends sessions when an account is disabled or its password reset', async () => {
    await addUser(t.hub.ctx, { username: 'leaver', role: 'auditor', scope: null, password: PASSWORD }, 'test');
    const b = new Browser();
    assert.equal(await b.login('leaver'), 200);
    await disableUser(t.hub.ctx, 'leaver', 'test');
    assert.equal((await b.call('GET', '/console/api/overview')).status, 401);
    assert.equal(await b.login('leaver'), 401, 'a disabled account cannot log in');
    await resetPassword(t.hub.ctx, 'leaver', 'another password', 'test');
    assert.equal(await b.login('leaver', 'another password'), 200);
  });

  it('demands the CSRF token on state changes and the operator role for registry changes', async () => {
    const b = new Browser();
    assert.equal(await b.login('vpcp'), 200);
    const csrf = b.csrf;
    b.csrf = '';
    assert.equal(errorCode(await b.call('POST', '/console/api/logout')), 'VDXP_E_CONSOLE_CSRF');
    b.csrf = csrf;
    assert.equal(errorCode(await b.call('POST', '/console/api/agencies/000.00.00.H99/merge', { into: '000.00.00.H41' })), 'VDXP_E_CONSOLE_ROLE');
    assert.equal(errorCode(await b.call('GET', '/console/api/systems')), 'VDXP_E_CONSOLE_ROLE', 'a leader does not see systems');
    assert.equal(errorCode(await b.call('GET', '/console/api/health')), 'VDXP_E_CONSOLE_ROLE');
    assert.equal((await b.call('POST', '/console/api/logout')).status, 200);
    assert.equal((await b.call('GET', '/console/api/overview')).status, 401, 'logged out');
  });

  it('holds a Nghệ An leader to Nghệ An, in the API: Hà Nội\'s documents, agencies and scope are refused', async () => {
    const toHanoi = await send(t.systems['gov']?.token ?? '', await edoc('000.00.00.G22', ['000.00.15.H24']));
    const toNghean = await send(t.systems['gov']?.token ?? '', await edoc('000.00.00.G22', ['000.00.15.H41']));
    const leader = new Browser();
    assert.equal(await leader.login('nghean'), 200);
    assert.equal(errorCode(await leader.call('GET', `/console/api/documents/${toHanoi.id}`)), 'VDXP_E_CONSOLE_SCOPE');
    assert.equal((await leader.call('GET', `/console/api/documents/${toNghean.id}`)).status, 200);
    assert.equal(errorCode(await leader.call('GET', '/console/api/overview?scope=000.00.00.H24')), 'VDXP_E_CONSOLE_SCOPE');
    const along = await leader.call('GET', '/console/api/me?overview=1&scope=000.00.00.H24');
    assert.equal(along.status, 200);
    assert.equal(along.json['overview'], undefined, 'the first call leaves out an overview outside the scope (the page then asks for it and is refused)');
    assert.equal(errorCode(await leader.call('GET', '/console/api/agencies/000.00.15.H24')), 'VDXP_E_CONSOLE_SCOPE');
    assert.equal(errorCode(await leader.call('GET', '/console/api/report?scope=000.00.00.H24')), 'VDXP_E_CONSOLE_SCOPE', 'the report holds the scope too');
    const own = await leader.call('GET', '/console/api/report');
    assert.equal(own.status, 200);
    assert.equal(own.json['scope'], '000.00.00.H41', 'the leader\'s own scope by default');
    assert.ok(!(own.json['topRecipients'] as { agency: string }[]).some((x) => x.agency.endsWith('H24')), 'no Hà Nội agency in Nghệ An\'s report');
    assert.equal(errorCode(await leader.call('GET', '/console/api/report?month=2026-13')), 'VDXP_E_BAD_REQUEST');
    assert.equal(errorCode(await leader.call('GET', '/console/api/report?month=2099-01')), 'VDXP_E_BAD_REQUEST', 'a month not begun');
    const found = (await leader.call('GET', '/console/api/documents')).json['items'] as { id: string }[];
    assert.ok(found.some((d) => d.id === toNghean.id));
    assert.ok(!found.some((d) => d.id === toHanoi.id), 'search lists only documents within scope');
    const agencies = (await leader.call('GET', '/console/api/agencies')).json['items'] as { code: string }[];
    assert.deepEqual(agencies.map((a) => a.code), ['000.00.00.H41', '000.00.15.H41']);
    const national = new Browser();
    assert.equal(await national.login('vpcp'), 200);
    assert.equal((await national.call('GET', `/console/api/documents/${toHanoi.id}`)).status, 200, 'the Government Office sees everything');
    const ops = new Browser();
    assert.equal(await ops.login('ops.nghean'), 200);
    assert.equal(errorCode(await ops.call('POST', '/console/api/agencies/000.00.15.H24/merge', { into: '000.00.00.H24' })), 'VDXP_E_CONSOLE_SCOPE');
    const systems = (await ops.call('GET', '/console/api/systems')).json['items'] as { id: string }[];
    assert.deepEqual(systems.map((x) => x.id), ['sys.nghean'], 'a Nghệ An operator sees the systems serving Nghệ An');
    assert.equal(errorCode(await ops.call('POST', '/console/api/systems/sys.hanoi/rotate')), 'VDXP_E_CONSOLE_SCOPE');
    assert.equal(errorCode(await ops.call('POST', '/console/api/systems/sys.nowhere/rotate')), 'VDXP_E_CONSOLE_SCOPE', 'a system serving no agency is no province\'s');
  });

  it('shows on the overview what was exchanged, and a document\'s timeline with its evidence verdict', async () => {
    const b = new Browser();
    assert.equal(await b.login('nghean'), 200);
    const before = (await b.call('GET', '/console/api/overview')).json as { yearTotals: { sent: number; received: number }; inFlight: number; byGroup: Record<string, { received: number }> };
    const sent = await send(t.systems['gov']?.token ?? '', await edoc('000.00.00.G22', ['000.00.00.H41', '000.00.15.H41', '000.00.00.H14']));
    await send(t.systems['nghean']?.token ?? '', await edoc('000.00.00.H41', ['000.00.00.G22']));
    const now = (await b.call('GET', '/console/api/overview')).json as typeof before & { connected: { agencies: number; connected: number }; days: { day: string; received: number }[] };
    const { today: _t, ...nowFigures } = now as typeof now & { today: string };
    const along = (await b.call('GET', '/console/api/me?overview=1')).json as { user: { username: string }; overview: typeof now & { today: string } };
    const { today: _a, ...alongFigures } = along.overview;
    assert.deepEqual([along.user.username, alongFigures], ['nghean', nowFigures], 'the first call brings the same overview along');
    assert.equal(now.yearTotals.received - before.yearTotals.received, 2, 'two deliveries reached Nghệ An (Cao Bằng\'s is not in scope)');
    assert.equal(now.yearTotals.sent - before.yearTotals.sent, 1);
    assert.equal(now.inFlight - before.inFlight, 2);
    assert.equal((now.byGroup['province']?.received ?? 0) - (before.byGroup['province']?.received ?? 0), 2);
    assert.deepEqual(now.connected, { agencies: 2, connected: 2 });
    const page = (await b.call('GET', `/console/api/documents/${sent.id}`)).json as { timeline: { type: string }[]; evidence: { ok: boolean; events: number }; deliveries: unknown[] };
    assert.equal(page.deliveries.length, 3);
    assert.ok(page.timeline.some((e) => e.type === 'document:accepted'));
    assert.deepEqual(page.evidence.ok, true);
    assert.ok(page.evidence.events >= 1);
  });

  it('lists a document as overdue once the clock passes its answer time, exports it, and drops it when answered', async () => {
    const sent = await send(t.systems['gov']?.token ?? '', await edoc('000.00.00.G22', ['000.00.15.H41']));
    const b = new Browser();
    assert.equal(await b.login('nghean'), 200);
    const listed = async (): Promise<string[]> => ((await b.call('GET', '/console/api/overdue')).json['items'] as { documentId: string }[]).map((i) => i.documentId);
    assert.ok(!(await listed()).includes(sent.id));
    t.clock.advance(5 * 24 * 3600 * 1000);
    assert.equal((await b.call('GET', '/console/api/overview')).status, 401, 'the session (8 h) ended meanwhile');
    assert.equal(await b.login('nghean'), 200);
    assert.ok((await listed()).includes(sent.id), 'past the end of the next working day without an answer');
    const csv = await b.call('GET', '/console/api/overdue?format=csv');
    const csvBody = await csv.res.text();
    assert.match(csv.res.headers.get('content-type') ?? '', /text\/csv/);
    assert.ok(csvBody.includes(sent.id));
    const xlsx = await b.call('GET', '/console/api/overdue?format=xlsx');
    assert.equal((await xlsx.res.arrayBuffer()).byteLength > 100, true);
    const doc = await t.hub.ctx.store.getDocument(sent.id);
    await send(t.systems['nghean']?.token ?? '', await statusPacket('000.00.15.H41', '000.00.00.G22', doc?.edxmlId ?? '', '01'));
    assert.ok(!(await listed()).includes(sent.id), 'answered: no longer overdue');
    assert.equal(errorCode(await b.call('GET', '/console/api/overdue?from=2026-13-01')), 'VDXP_E_BAD_REQUEST');
  });

  it('routes the next document to the successor after a merge made in the console', async () => {
    const ops = new Browser();
    assert.equal(await ops.login('ops'), 200);
    const r = await ops.call('POST', '/console/api/agencies/000.00.15.H24/merge', { into: '000.00.00.H24' });
    assert.equal(r.status, 200);
    const next = await send(t.systems['gov']?.token ?? '', await edoc('000.00.00.G22', ['000.00.15.H24']));
    assert.equal(next.deliveries[0]?.recipient, '000.00.00.H24');
    const page = (await ops.call('GET', '/console/api/agencies/000.00.00.H24')).json as { predecessors: { code: string }[] };
    assert.deepEqual(page.predecessors.map((p) => p.code), ['000.00.15.H24']);
    assert.ok((await t.hub.ctx.store.events(0, 100_000)).some((e) => e.type === 'agency:merged' && e.actor === 'console:ops'));
    void hanoi;
  });

  it('records each system\'s last seen, protocol and error rate (native and VDXP) without a write per call, and the recent errors', async () => {
    const ops = new Browser();
    assert.equal(await ops.login('ops'), 200);
    const leader = new Browser();
    assert.equal(await leader.login('vpcp'), 200);
    type Sys = { id: string; lastSeenAt: string | null; protocol: string | null; calls24h: number; refusals24h: number; errorRate24h: number | null; sample: { code: string; name: string | null }[] };
    const system = async (id: string): Promise<Sys | undefined> => ((await ops.call('GET', '/console/api/systems')).json['items'] as Sys[]).find((x) => x.id === id);
    const points = async (): Promise<{ systems: number; active24h: number }> => ((await leader.call('GET', '/console/api/overview')).json['connectionPoints'] as { systems: number; active24h: number });
    const before = await points();
    assert.equal((await system('sys.caobang'))?.lastSeenAt, null, 'never called yet');
    assert.deepEqual((await system('sys.caobang'))?.sample, [{ code: '000.00.00.H14', name: 'UBND tỉnh Cao Bằng' }]);
    const store = t.hub.ctx.store;
    const original = store.addSystemActivity.bind(store);
    let writes = 0; // sys.caobang's
    store.addSystemActivity = async (a) => { if (a.systemId === 'sys.caobang') writes += 1; return original(a); };
    try {
      const token = t.systems['caobang']?.token ?? '';
      const inbox = async (): Promise<number> => (await fetch(`${url}/v1/inbox?limit=1`, { headers: { authorization: `Bearer ${token}` } })).status;
      assert.equal(await inbox(), 200);
      assert.equal(writes, 1, 'a node writes the first call it sees at once');
      const at = new Date(t.clock.now()).toISOString();
      for (let i = 0; i < 5; i++) assert.equal(await inbox(), 200);
      const refused = await fetch(`${url}/v1/documents`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: 'not a packet' });
      assert.equal(refused.status, 400);
      const refusedCode = ((await refused.json()) as { error: { code: string } }).error.code;
      assert.equal(writes, 1, 'six more calls within the minute: no write');
      assert.deepEqual((await points()).active24h - before.active24h, 1, 'the overview counts it as active');
      const seenNow = await system('sys.caobang');
      assert.equal(writes, 2, 'reading the systems writes what this node held');
      assert.equal(seenNow?.lastSeenAt, at);
      assert.equal(seenNow?.protocol, 'native');
      assert.equal(seenNow?.calls24h, 7);
      assert.equal(seenNow?.refusals24h, 1);
      assert.ok(Math.abs((seenNow?.errorRate24h ?? 0) - 1 / 7) < 1e-9);
      const health = (await ops.call('GET', '/console/api/health')).json as { recentErrors: { code: string; systemId: string | null; status: number }[]; storage: { databaseBytes: number; packetBytes: number }; disk: { freeBytes: number } | null };
      assert.deepEqual(health.recentErrors[0] && { code: health.recentErrors[0].code, systemId: health.recentErrors[0].systemId, status: health.recentErrors[0].status },
        { code: refusedCode, systemId: 'sys.caobang', status: 400 }, 'the newest refusal first, with its code and system');
      assert.ok(health.storage.databaseBytes > 0 && health.storage.packetBytes > 0);
      assert.equal((await fetch(`${url}/v1/documents`, { method: 'POST', headers: { authorization: `Bearer ${t.systems['nghean']?.token}` }, body: 'no' })).status, 400);
      const scopedOps = new Browser();
      assert.equal(await scopedOps.login('ops.nghean'), 200);
      const scopedErrors = ((await scopedOps.call('GET', '/console/api/health')).json['recentErrors'] as { systemId: string | null }[]);
      assert.ok(scopedErrors.some((e) => e.systemId === 'sys.nghean'), 'its own system\'s refusal');
      assert.ok(!scopedErrors.some((e) => e.systemId !== 'sys.nghean'), 'a Nghệ An operator sees the refusals of Nghệ An\'s systems only');
      assert.ok(health.disk !== null && health.disk.freeBytes > 0, 'the embedded engine reports its data folder\'s disk');
      // A minute later the VDXP API: written at once again, the protocol follows the latest call.
      t.clock.advance(61_000);
      const vdxp = new VdxpTestClient({ endpoint: url, systemId: 'sys.caobang', secret: 'caobang-secret', now: () => t.clock.now() });
      const list = await vdxp.call('getReceivedEdocList', { inputs: { servicetype: 'eDoc', messagetype: 'edoc' } });
      assert.equal(list.headers.get('x-vdxp-error-code'), null, `VDXP call answered ${list.bytes.toString('utf8').slice(0, 200)}`);
      assert.equal(writes, 3);
      const afterVdxp = await system('sys.caobang');
      assert.equal(afterVdxp?.protocol, 'vdxp');
      assert.equal(afterVdxp?.lastSeenAt, new Date(t.clock.now()).toISOString());
      assert.equal(afterVdxp?.calls24h, 8);
      // A day later without a call: not active, the error rate has no calls to count.
      t.clock.advance(25 * 3600 * 1000);
      assert.equal(await leader.login('vpcp'), 200);
      assert.equal(await ops.login('ops'), 200);
      assert.equal((await points()).active24h, 0);
      const old = await system('sys.caobang');
      assert.equal(old?.calls24h, 0);
      assert.equal(old?.errorRate24h, null);
      assert.equal(old?.lastSeenAt, afterVdxp?.lastSeenAt, 'last seen stays');
    } finally {
      store.addSystemActivity = original;
    }
  });

  it('lets an operator add a system within scope (credentials once, an evidence event), refuses leaders and other provinces', async () => {
    const leader = new Browser();
    assert.equal(await leader.login('nghean'), 200);
    assert.equal(errorCode(await leader.call('POST', '/console/api/systems', { id: 'sys.x', agencies: ['000.00.00.H41'] })), 'VDXP_E_CONSOLE_ROLE');
    const ops = new Browser();
    assert.equal(await ops.login('ops.nghean'), 200);
    assert.equal(errorCode(await ops.call('POST', '/console/api/systems', { id: 'sys.hn2', agencies: ['000.00.00.H24'] })), 'VDXP_E_CONSOLE_SCOPE');
    assert.equal(errorCode(await ops.call('POST', '/console/api/systems', { id: 'sys.na2', agencies: ['000.00.15.H41', '000.00.00.H24'] })), 'VDXP_E_CONSOLE_SCOPE', 'every agency must be in scope');
    assert.equal(errorCode(await ops.call('POST', '/console/api/systems', { id: 'sys.na2', agencies: [] })), 'VDXP_E_BAD_REQUEST');
    assert.equal(errorCode(await ops.call('POST', '/console/api/systems', { agencies: ['000.00.15.H41'] })), 'VDXP_E_BAD_REQUEST');
    assert.equal(await t.hub.ctx.store.getSystem('sys.hn2'), undefined, 'nothing half-written');
    const csrf = ops.csrf;
    ops.csrf = 'wrong';
    assert.equal(errorCode(await ops.call('POST', '/console/api/systems', { id: 'sys.na2', agencies: ['000.00.15.H41'] })), 'VDXP_E_CONSOLE_CSRF');
    ops.csrf = csrf;
    const added = await ops.call('POST', '/console/api/systems', { id: 'sys.na2', name: 'Sở Nội vụ Nghệ An', agencies: ['000.00.15.H41'] });
    assert.equal(added.status, 200);
    const creds = added.json as { id: string; token: string; secret: string };
    assert.equal(creds.id, 'sys.na2');
    assert.equal((await fetch(`${url}/v1/inbox`, { headers: { authorization: `Bearer ${creds.token}` } })).status, 200, 'the token shown works');
    assert.equal(errorCode(await ops.call('POST', '/console/api/systems', { id: 'sys.na2', agencies: ['000.00.15.H41'] })), 'VDXP_E_SYSTEM_EXISTS');
    const listed = ((await ops.call('GET', '/console/api/systems')).json['items'] as { id: string; name: string; token?: string }[]).find((x) => x.id === 'sys.na2');
    assert.equal(listed?.name, 'Sở Nội vụ Nghệ An');
    assert.equal(listed?.token, undefined, 'never shown again');
    const event = (await t.hub.ctx.store.events(0, 100_000)).find((e) => e.type === 'system:added' && (e.data as { id?: string }).id === 'sys.na2');
    assert.equal(event?.actor, 'console:ops.nghean');
  });

  it('lets an operator add, rename and dissolve agencies (with a date) within scope; the agency page shows the history and answer medians', async () => {
    const leader = new Browser();
    assert.equal(await leader.login('nghean'), 200);
    assert.equal(errorCode(await leader.call('POST', '/console/api/agencies/000.00.15.H41/rename', { name: 'X' })), 'VDXP_E_CONSOLE_ROLE');
    assert.equal(errorCode(await leader.call('POST', '/console/api/agencies', { code: '000.00.16.H41', name: 'X' })), 'VDXP_E_CONSOLE_ROLE');
    const ops = new Browser();
    assert.equal(await ops.login('ops.nghean'), 200);
    assert.equal(errorCode(await ops.call('POST', '/console/api/agencies', { code: '000.00.16.H24', name: 'Sở Hà Nội' })), 'VDXP_E_CONSOLE_SCOPE');
    assert.equal(errorCode(await ops.call('POST', '/console/api/agencies/000.00.00.H24/rename', { name: 'X' })), 'VDXP_E_CONSOLE_SCOPE');
    assert.equal(errorCode(await ops.call('POST', '/console/api/agencies', { code: '000.00.16.H41' })), 'VDXP_E_BAD_REQUEST');
    assert.equal((await ops.call('POST', '/console/api/agencies', { code: '000.00.16.H41', name: 'Sở Tư pháp Nghệ An' })).status, 200);
    assert.equal(errorCode(await ops.call('POST', '/console/api/agencies', { code: '000.00.16.H41', name: 'again' })), 'VDXP_E_AGENCY_EXISTS');
    assert.equal(errorCode(await ops.call('POST', '/console/api/agencies/000.00.16.H41/rename', { name: '   ' })), 'VDXP_E_BAD_REQUEST');
    assert.equal((await ops.call('POST', '/console/api/agencies/000.00.16.H41/rename', { name: 'Sở Tư pháp tỉnh Nghệ An' })).status, 200);
    assert.equal((await t.hub.ctx.store.getAgency('000.00.16.H41'))?.name, 'Sở Tư pháp tỉnh Nghệ An');
    const today = new Date(t.clock.now() + 7 * 3600_000).toISOString().slice(0, 10);
    const tomorrow = new Date(t.clock.now() + 31 * 3600_000).toISOString().slice(0, 10);
    assert.equal(errorCode(await ops.call('POST', '/console/api/agencies/000.00.16.H41/dissolve', { successor: '000.00.00.H41', at: tomorrow })), 'VDXP_E_BAD_REQUEST', 'not in the future');
    assert.equal(errorCode(await ops.call('POST', '/console/api/agencies/000.00.16.H41/dissolve', { at: '2026-02-30' })), 'VDXP_E_BAD_REQUEST');
    assert.equal((await t.hub.ctx.store.getAgency('000.00.16.H41'))?.state, 'active', 'nothing half-written');
    assert.equal((await ops.call('POST', '/console/api/agencies/000.00.16.H41/dissolve', { successor: '000.00.00.H41', at: today })).status, 200);
    const dissolved = await t.hub.ctx.store.getAgency('000.00.16.H41');
    assert.equal(dissolved?.state, 'dissolved');
    assert.equal(new Date((dissolved?.validTo ?? 0) + 7 * 3600_000).toISOString(), `${today}T00:00:00.000Z`, 'the date given, as the day\'s start in Việt Nam');
    type Page = { history: { code: string; kind: string; name: string | null; oldName: string | null; successor: string | null; effective: string | null; actor: string | null }[]; answers: { deliveries: number } };
    const own = (await ops.call('GET', '/console/api/agencies/000.00.16.H41')).json as Page;
    assert.deepEqual(own.history.map((e) => [e.kind, e.name, e.oldName, e.successor, e.actor]), [
      ['added', 'Sở Tư pháp Nghệ An', null, null, 'console:ops.nghean'],
      ['renamed', 'Sở Tư pháp tỉnh Nghệ An', 'Sở Tư pháp Nghệ An', null, 'console:ops.nghean'],
      ['dissolved', 'Sở Tư pháp tỉnh Nghệ An', null, '000.00.00.H41', 'console:ops.nghean']]);
    const successorPage = (await ops.call('GET', '/console/api/agencies/000.00.00.H41')).json as Page;
    assert.deepEqual(successorPage.history.filter((e) => e.code === '000.00.16.H41').map((e) => e.kind), ['dissolved'], 'the successor\'s page shows who passed to it');
    assert.ok(successorPage.answers.deliveries >= 1, 'Nghệ An received documents this year: they are counted');
    const types = (await t.hub.ctx.store.events(0, 1_000_000)).filter((e) => e.actor === 'console:ops.nghean').map((e) => e.type);
    assert.ok(['agency:added', 'agency:renamed', 'agency:dissolved'].every((x) => types.includes(x)), 'each change is an evidence event');
  });

  it('shows everyone the year\'s calendar; only a nationwide operator adds and removes days', async () => {
    const leader = new Browser();
    assert.equal(await leader.login('nghean'), 200);
    const c = (await leader.call('GET', '/console/api/calendar?year=2027')).json as { year: number; holidays: { day: string }[]; entries: unknown[] };
    assert.equal(c.year, 2027);
    assert.ok(c.holidays.some((x) => x.day === '2027-02-06'), 'Tết 2027 (mùng 1 on 6 February) from the lunar calendar');
    assert.equal(errorCode(await leader.call('POST', '/console/api/calendar', { day: '2027-01-04', kind: 'off' })), 'VDXP_E_CONSOLE_ROLE');
    const scoped = new Browser();
    assert.equal(await scoped.login('ops.nghean'), 200);
    assert.equal(errorCode(await scoped.call('POST', '/console/api/calendar', { day: '2027-01-04', kind: 'off' })), 'VDXP_E_CONSOLE_SCOPE');
    const ops = new Browser();
    assert.equal(await ops.login('ops'), 200);
    assert.equal(errorCode(await ops.call('POST', '/console/api/calendar', { day: '2027-02-30', kind: 'off' })), 'VDXP_E_CONSOLE_CALENDAR_INVALID');
    assert.equal(errorCode(await ops.call('POST', '/console/api/calendar', { day: '2027-01-04', kind: 'holiday' })), 'VDXP_E_CONSOLE_CALENDAR_INVALID');
    assert.equal((await ops.call('POST', '/console/api/calendar', { day: '2027-01-04', kind: 'off', note: 'Nghỉ bù' })).status, 200);
    assert.equal((await ops.call('POST', '/console/api/calendar', { day: '2027-01-09', kind: 'working' })).status, 200);
    const entries = (await leader.call('GET', '/console/api/calendar?year=2027')).json['entries'] as { day: string; kind: string; note: string | null }[];
    assert.deepEqual(entries.map((e) => [e.day, e.kind, e.note]), [['2027-01-04', 'off', 'Nghỉ bù'], ['2027-01-09', 'working', null]]);
    assert.equal((await ops.call('POST', '/console/api/calendar', { day: '2027-01-09', kind: 'remove' })).status, 200);
    assert.equal(errorCode(await ops.call('POST', '/console/api/calendar', { day: '2027-01-09', kind: 'remove' })), 'VDXP_E_CONSOLE_CALENDAR_INVALID', 'nothing left to remove');
    assert.deepEqual(((await leader.call('GET', '/console/api/calendar?year=2027')).json['entries'] as { day: string }[]).map((e) => e.day), ['2027-01-04']);
    assert.equal(errorCode(await leader.call('GET', '/console/api/calendar?year=1800')), 'VDXP_E_BAD_REQUEST');
    assert.ok((await t.hub.ctx.store.events(0, 1_000_000)).some((e) => e.type.startsWith('calendar:') && e.actor === 'console:ops'), 'an evidence event');
  });

  it('quotes CSV cells that a spreadsheet would read as formulas', () => {
    assert.equal(csvText([['=1+1', 'a,b', 'x"y', null, 3]]), '\uFEFF\'=1+1,"a,b","x""y",,3\r\n');
  });

  it('refuses bad accounts with their codes', async () => {
    const ctx = t.hub.ctx;
    const code = async (p: Promise<unknown>): Promise<string> => {
      try { await p; } catch (e) { const c = (e as { code: string }).code; seen.set(c, (HUB_ERRORS as Record<string, { status: number }>)[c]?.status ?? 0); return c; }
      return 'none';
    };
    assert.equal(await code(addUser(ctx, { username: 'vpcp', role: 'leader', scope: null, password: PASSWORD }, 'test')), 'VDXP_E_CONSOLE_USER_EXISTS');
    assert.equal(await code(addUser(ctx, { username: 'Bad Name', role: 'leader', scope: null, password: PASSWORD }, 'test')), 'VDXP_E_CONSOLE_USER_INVALID');
    assert.equal(await code(addUser(ctx, { username: 'short', role: 'leader', scope: null, password: 'short' }, 'test')), 'VDXP_E_CONSOLE_USER_INVALID');
    assert.equal(await code(addUser(ctx, { username: 'ghost', role: 'leader', scope: '000.00.00.H77', password: PASSWORD }, 'test')), 'VDXP_E_CONSOLE_USER_INVALID');
    assert.equal(await code(addUser(ctx, { username: 'wild', role: 'leader', scope: '%', password: PASSWORD }, 'test')), 'VDXP_E_CONSOLE_USER_INVALID');
    assert.equal(await code(disableUser(ctx, 'nobody', 'test')), 'VDXP_E_CONSOLE_USER_UNKNOWN');
  });

  it('produced every console error code with its status', () => {
    const missing = Object.keys(HUB_ERRORS).filter((c) => c.startsWith('VDXP_E_CONSOLE_') && !seen.has(c));
    assert.deepEqual(missing, []);
    for (const [c, status] of seen) assert.equal(status, (HUB_ERRORS as Record<string, { status: number }>)[c]?.status, c);
  });
});
