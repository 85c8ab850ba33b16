// `vdxp system` in-process against a real data folder: credentials that authenticate, listings that never
// show them, rotation that retires the old ones, and refusals with their stable codes.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HubError, authenticateToken, openHub, systemSecret } from '@vdxp/hub';
import { cli } from '../../test-support/cli.ts';
import type { SystemView } from './system.ts';

let root: string;
let data: string;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'vdxp-cli-system-'));
  data = join(root, 'data');
  for (const [code, name] of [['000.00.00.H41', 'UBND tỉnh Nghệ An'], ['000.00.15.H41', 'Sở Nội vụ'], ['000.00.00.G22', 'Văn phòng Chính phủ']] as const) {
    assert.equal((await run('agency', 'add', '--code', code, '--name', name)).code, 0);
  }
  assert.equal((await run('agency', 'import', writeJson('other.json', [{ code: '000.00.00.G12', name: 'Bộ Tài chính', otherCodes: ['G12'] }]))).code, 0);
});
after(() => rmSync(root, { recursive: true, force: true }));

function run(...args: string[]): ReturnType<typeof cli> {
  return cli([...args, '--data', data]);
}

function writeJson(name: string, value: unknown): string {
  const path = join(root, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

interface Creds { id: string; token: string; secret: string }

/** What the hub itself says about a token: the system it belongs to and that system's clear secret. */
async function whoIs(token: string): Promise<{ id: string; secret: string } | HubError> {
  const hub = await openHub({ dataDir: data, recover: false });
  try {
    const s = await authenticateToken(hub.ctx, token);
    return { id: s.id, secret: systemSecret(hub.ctx, s) };
  } catch (e) {
    if (e instanceof HubError) return e;
    throw e;
  } finally {
    await hub.close();
  }
}

describe('vdxp system', () => {
  let nghean: Creds;

  it('add --json prints exactly {id, token, secret}, and they authenticate', async () => {
    const r = await run('system', 'add', '--id', 'sys.nghean', '--agencies', '000.00.00.H41, 000.00.15.H41', '--name', 'QLVBĐH Nghệ An', '--json');
    assert.equal(r.code, 0, r.stderr);
    nghean = JSON.parse(r.stdout) as Creds;
    assert.deepEqual(Object.keys(nghean), ['id', 'token', 'secret']);
    assert.equal(nghean.id, 'sys.nghean');
    assert.deepEqual(await whoIs(nghean.token), { id: 'sys.nghean', secret: nghean.secret });
  });

  it('add prints the credentials, what each is for and that the token is shown once; --secret is kept', async () => {
    const r = await run('system', 'add', '--id', 'sys.gov', '--agencies', '000.00.00.G22', '--secret', 'gov-secret');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Created system sys\.gov \(1 cơ quan \/ agencies\)/);
    const token = /token: +(vdxp_\S+)/.exec(r.stdout)?.[1] ?? '';
    assert.match(r.stdout, /secret: +gov-secret +\(API tương thích VDXP \/ VDXP-compatible API\)/);
    assert.match(r.stdout, /the token cannot be shown again; get new ones with "vdxp system rotate-secret sys\.gov"/);
    assert.deepEqual(await whoIs(token), { id: 'sys.gov', secret: 'gov-secret' });
  });

  it('stores the registry code when given another code of the agency', async () => {
    const r = await run('system', 'add', '--id', 'sys.mof', '--agencies', 'G12', '--json');
    assert.equal(r.code, 0, r.stderr);
    const shown = JSON.parse((await run('system', 'show', 'sys.mof', '--json')).stdout) as SystemView;
    assert.deepEqual(shown.agencies, ['000.00.00.G12']);
  });

  it('refuses an existing id, an unknown agency and an empty list', async () => {
    const again = await run('system', 'add', '--id', 'sys.gov', '--agencies', '000.00.00.G22');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /VDXP_E_SYSTEM_EXISTS: .*use rotate-secret/);
    const unknown = await run('system', 'add', '--id', 'sys.x', '--agencies', '000.00.00.G22,000.00.00.H99');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /VDXP_E_AGENCY_UNKNOWN: No agency 000\.00\.00\.H99 in the registry; add it first/);
    assert.equal((await run('system', 'show', 'sys.x')).code, 1, 'nothing was created');
    const empty = await run('system', 'add', '--id', 'sys.y', '--agencies', ' , ');
    assert.equal(empty.code, 2);
    const noAgencies = await run('system', 'add', '--id', 'sys.y');
    assert.equal(noAgencies.code, 2);
    assert.match(noAgencies.stderr, /required option '--agencies <codes>'/);
  });

  it('list and show give agencies and state, never a token, secret or hash', async () => {
    const list = await run('system', 'list', '--json');
    assert.equal(list.code, 0);
    const views = JSON.parse(list.stdout) as SystemView[];
    assert.deepEqual(views.map((v) => v.id), ['sys.gov', 'sys.mof', 'sys.nghean']);
    assert.deepEqual(views.find((v) => v.id === 'sys.nghean')?.agencies, ['000.00.00.H41', '000.00.15.H41']);
    const human = await run('system', 'list');
    assert.match(human.stdout, /^sys\.nghean {2}active {5}lenient +2 cơ quan \/ agencies {2}QLVBĐH Nghệ An$/m);
    const show = await run('system', 'show', 'sys.nghean');
    assert.match(show.stdout, /Trạng thái \/ State: +active/);
    assert.match(show.stdout, /^ {2}000\.00\.15\.H41 {2}Sở Nội vụ$/m);
    const showJson = await run('system', 'show', 'sys.nghean', '--json');
    for (const out of [list.stdout, human.stdout, show.stdout, showJson.stdout]) {
      assert.ok(!out.includes(nghean.token) && !out.includes(nghean.secret), 'no credentials');
      assert.ok(!/tokenHash|token_hash|"secret"/.test(out), 'no hashes or sealed secrets');
    }
    const unknown = await run('system', 'show', 'sys.none');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /VDXP_E_SYSTEM_UNKNOWN: .*No system sys\.none; see "vdxp system list"/);
  });

  it('rotate-secret issues new credentials and retires the old ones at once', async () => {
    const r = await run('system', 'rotate-secret', 'sys.nghean', '--secret', 'fresh', '--json');
    assert.equal(r.code, 0, r.stderr);
    const fresh = JSON.parse(r.stdout) as Creds;
    assert.deepEqual(Object.keys(fresh), ['id', 'token', 'secret']);
    assert.equal(fresh.secret, 'fresh');
    assert.notEqual(fresh.token, nghean.token);
    assert.deepEqual(await whoIs(fresh.token), { id: 'sys.nghean', secret: 'fresh' });
    const old = await whoIs(nghean.token);
    assert.ok(old instanceof HubError && old.code === 'VDXP_E_AUTH_INVALID');
    const human = await run('system', 'rotate-secret', 'sys.nghean');
    assert.match(human.stdout, /New credentials for sys\.nghean; .*the old ones no longer work/);
    assert.match(human.stdout, /token: +vdxp_/);
    assert.equal((await run('system', 'rotate-secret', 'sys.none')).code, 1);
  });

  it('add --vdxp-strict and set --vdxp-strict on|off choose the VDXP mode, and each change is an evidence event', async () => {
    const added = await run('system', 'add', '--id', 'sys.strict', '--agencies', '000.00.00.G22', '--vdxp-strict', '--json');
    assert.equal(added.code, 0, added.stderr);
    const view = async (): Promise<SystemView> => JSON.parse((await run('system', 'show', 'sys.strict', '--json')).stdout) as SystemView;
    assert.equal((await view()).vdxpStrict, true);
    assert.match((await run('system', 'show', 'sys.strict')).stdout, /VDXP: +strict \(/);
    assert.match((await run('system', 'list')).stdout, /^sys\.strict {2}active {5}strict +1 cơ quan/m);
    assert.equal((JSON.parse((await run('system', 'list', '--json')).stdout) as SystemView[]).find((v) => v.id === 'sys.gov')?.vdxpStrict, false, 'lenient by default');

    const off = await run('system', 'set', 'sys.strict', '--vdxp-strict', 'off', '--json');
    assert.equal(off.code, 0, off.stderr);
    assert.deepEqual(JSON.parse(off.stdout), { id: 'sys.strict', vdxpStrict: false, changed: true });
    assert.equal((await view()).vdxpStrict, false);
    assert.match((await run('system', 'show', 'sys.strict')).stdout, /VDXP: +lenient \(/);
    assert.match((await run('system', 'set', 'sys.strict', '--vdxp-strict', 'off')).stdout, /^VDXP sys\.strict: lenient \(.*unchanged\)$/m);
    assert.match((await run('system', 'set', 'sys.strict', '--vdxp-strict', 'on')).stdout, /^VDXP sys\.strict: strict$/m);
    assert.equal((await view()).vdxpStrict, true);

    const bad = await run('system', 'set', 'sys.strict', '--vdxp-strict', 'maybe');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /use on or off/);
    const none = await run('system', 'set', 'sys.strict');
    assert.equal(none.code, 2, 'the option is required');
    const unknown = await run('system', 'set', 'sys.none', '--vdxp-strict', 'on');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /VDXP_E_SYSTEM_UNKNOWN/);

    const hub = await openHub({ dataDir: data, recover: false });
    try {
      const events = (await hub.ctx.store.events(0, 10_000)).filter((e) => e.data['id'] === 'sys.strict');
      assert.deepEqual(events.map((e) => [e.type, e.data['vdxpStrict']]), [['system:added', true], ['system:vdxp-strict', false], ['system:vdxp-strict', true]],
        'one event per change, none when the mode was so already');
      assert.ok(events.every((e) => typeof e.actor === 'string' && e.actor.length > 0), 'each names the operator');
    } finally {
      await hub.close();
    }
  });

  it('add --push-url and set --push-url URL|off register push notices; a URL that is not http(s) is refused', async () => {
    const added = await run('system', 'add', '--id', 'sys.push', '--agencies', '000.00.00.G22', '--push-url', 'https://qlvbdh.example.vn/vdxp', '--json');
    assert.equal(added.code, 0, added.stderr);
    let shown = (await run('system', 'show', 'sys.push', '--json')).stdout;
    const show = (): SystemView => JSON.parse(shown) as SystemView;
    assert.equal(show().pushUrl, 'https://qlvbdh.example.vn/vdxp');
    const set = await run('system', 'set', 'sys.push', '--push-url', 'http://10.0.0.5:9000/notice', '--json');
    assert.deepEqual(JSON.parse(set.stdout), { id: 'sys.push', pushUrl: 'http://10.0.0.5:9000/notice', changed: true });
    shown = (await run('system', 'show', 'sys.push')).stdout;
    assert.match(shown, /Push URL: +http:\/\/10\.0\.0\.5:9000\/notice/);
    const off = await run('system', 'set', 'sys.push', '--push-url', 'off');
    assert.match(off.stdout, /Push URL sys\.push: tắt \/ off/);
    shown = (await run('system', 'show', 'sys.push', '--json')).stdout;
    assert.equal(show().pushUrl, null);
    for (const bad of ['file:///etc/passwd', 'https://user:pw@example.vn/', 'not a url']) {
      const r = await run('system', 'set', 'sys.push', '--push-url', bad);
      assert.equal(r.code, 1, bad);
      assert.match(r.stderr, /VDXP_E_BAD_REQUEST: Push URL/);
    }
    const badAdd = await run('system', 'add', '--id', 'sys.push2', '--agencies', '000.00.00.G22', '--push-url', 'ftp://x');
    assert.equal(badAdd.code, 1);
    assert.equal((await run('system', 'show', 'sys.push2')).code, 1, 'nothing was added');
    assert.equal((await run('system', 'set', 'sys.push')).code, 2, 'set needs a setting');
  });

  it('list on an empty registry says how to add a system', async () => {
    const empty = join(root, 'empty');
    assert.equal((await cli(['agency', 'add', '--code', 'A', '--name', 'a', '--data', empty])).code, 0);
    const r = await cli(['system', 'list', '--data', empty]);
    assert.match(r.stdout, /No systems yet; add one with "vdxp system add --id <id> --agencies <codes>"/);
  });
});
