// `vdxp user` in-process against a real data folder: an account added from stdin or a flag logs in with that
// password, lists never show a hash, disable and reset-password take effect, refusals carry their codes.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { login, openHub } from '@vdxp/hub';
import { cli } from '../../test-support/cli.ts';

let root: string;
let data: string;
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'vdxp-cli-user-'));
  data = join(root, 'data');
  assert.equal((await cli(['agency', 'add', '--code', '000.00.00.H41', '--name', 'UBND tỉnh Nghệ An', '--data', data])).code, 0);
});
after(() => rmSync(root, { recursive: true, force: true }));

async function canLogin(username: string, password: string): Promise<string> {
  const hub = await openHub({ dataDir: data, recover: false });
  try {
    await login(hub.ctx, { username, password, address: '127.0.0.1' });
    return 'ok';
  } catch (e) {
    return (e as { code: string }).code;
  } finally { await hub.close(); }
}

it('adds accounts from stdin or a flag, lists them without hashes, disables and resets', async () => {
  const added = await cli(['user', 'add', '--username', 'lanhdao.nghean', '--role', 'leader', '--scope', '000.00.00.H41', '--password-stdin', '--data', data], { stdin: 'mật khẩu rất dài\n' });
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /lanhdao\.nghean/);
  assert.equal((await cli(['user', 'add', '--username', 'vanhanh', '--role', 'operator', '--password', 'another long one', '--data', data])).code, 0);
  assert.equal(await canLogin('lanhdao.nghean', 'mật khẩu rất dài'), 'ok', 'the line ending is not part of the password');
  const list = await cli(['user', 'list', '--json', '--data', data]);
  const users = JSON.parse(list.stdout) as Record<string, unknown>[];
  assert.deepEqual(users.map((u) => [u['username'], u['role'], u['scope']]), [['lanhdao.nghean', 'leader', '000.00.00.H41'], ['vanhanh', 'operator', null]]);
  assert.ok(!list.stdout.includes('scrypt'), 'no hash is printed');
  assert.equal((await cli(['user', 'disable', 'vanhanh', '--data', data])).code, 0);
  assert.equal(await canLogin('vanhanh', 'another long one'), 'VDXP_E_CONSOLE_LOGIN_FAILED');
  assert.equal((await cli(['user', 'reset-password', 'vanhanh', '--password', 'a third password', '--data', data])).code, 0);
  assert.equal(await canLogin('vanhanh', 'a third password'), 'ok');
});

it('refuses with the stable codes and a usage error for a missing password', async () => {
  const dup = await cli(['user', 'add', '--username', 'vanhanh', '--role', 'operator', '--password', 'another long one', '--data', data]);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /VDXP_E_CONSOLE_USER_EXISTS/);
  const scope = await cli(['user', 'add', '--username', 'x', '--role', 'leader', '--scope', '000.00.00.H99', '--password', 'another long one', '--data', data]);
  assert.match(scope.stderr, /VDXP_E_CONSOLE_USER_INVALID/);
  assert.equal((await cli(['user', 'add', '--username', 'y', '--role', 'leader', '--data', data])).code, 2);
  assert.equal((await cli(['user', 'add', '--username', 'y', '--role', 'boss', '--password', 'another long one', '--data', data])).code, 2);
  assert.match((await cli(['user', 'disable', 'nobody', '--data', data])).stderr, /VDXP_E_CONSOLE_USER_UNKNOWN/);
});
