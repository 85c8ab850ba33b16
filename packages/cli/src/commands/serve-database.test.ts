// `vdxp serve --database`: two nodes on one PostgreSQL database (a throwaway cluster), operator commands given
// `--database` instead of `--data` taking effect on both at once, `audit verify` on the database, and a node
// given another key file refused with what to do.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { startPostgres, type PgCluster } from '../../../hub/test-support/postgres.ts';
import { cli } from '../../test-support/cli.ts';
import { startServe, type ServeHandle } from './serve.ts';

const MAIN = new URL('../main.ts', import.meta.url).pathname;

let cluster: PgCluster;
let root: string;
before(async () => {
  cluster = await startPostgres();
  root = mkdtempSync(join(tmpdir(), 'vdxp-cli-db-'));
});
after(async () => {
  await cluster.destroy();
  rmSync(root, { recursive: true, force: true });
});

describe('vdxp on a shared PostgreSQL database', () => {
  it('runs two nodes; operator commands with --database reach both at once', async () => {
    const url = await cluster.createDatabase();
    const keyFile = join(root, 'nodes.key');
    const lines: string[] = [];
    const nodes: ServeHandle[] = [];
    // A real process for the first node (the flags as an operator types them), in-process for the second.
    const child = spawn(process.execPath, [MAIN, 'serve', '--database', url, '--key-file', keyFile, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      // The banner is several writes; a pipe may hand them over in separate chunks, so wait for its last line.
      const childUrl = await new Promise<string>((resolve, reject) => {
        let served: string | undefined;
        createInterface({ input: child.stdout }).on('line', (l) => {
          lines.push(l);
          served ??= /serving at (\S+)/.exec(l)?.[1];
          if (served !== undefined && /Ctrl\+C/.test(l)) resolve(served);
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${lines.join('\n')}`)));
      });
      assert.ok(lines.some((l) => /PostgreSQL/.test(l)), 'the banner names the database');
      assert.ok(!lines.some((l) => /Seeded a demo registry/.test(l)), 'no demo seeding on a shared database unless asked');
      nodes.push(await startServe({ dataDir: join(root, 'unused'), databaseUrl: url, keyFile, port: 0, host: '127.0.0.1', out: () => undefined }));
      const db = ['--database', url, '--key-file', keyFile];
      assert.equal((await cli(['agency', 'add', '--code', '000.00.00.H14', '--name', 'UBND tỉnh Cao Bằng', ...db])).code, 0);
      const added = await cli(['system', 'add', '--id', 'sys.caobang', '--agencies', '000.00.00.H14', '--json', ...db]);
      assert.equal(added.code, 0, added.stderr);
      const { token } = JSON.parse(added.stdout) as { token: string };
      for (const base of [childUrl, nodes[0]!.url]) {
        const r = await fetch(`${base}/v1/inbox`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(r.status, 200, `the new system works on ${base} at once`);
      }
      const listed = await cli(['system', 'list', ...db]);
      assert.match(listed.stdout, /sys\.caobang/);
      const audit = await cli(['audit', 'verify', ...db]);
      assert.equal(audit.code, 0, audit.stdout + audit.stderr);
      const wrongKey = await cli(['system', 'list', '--database', url, '--key-file', join(root, 'another.key')]);
      assert.equal(wrongKey.code, 2);
      assert.match(wrongKey.stderr, /VDXP_E_KEY_MISMATCH/);
      assert.doesNotMatch(wrongKey.stderr, /postgres:\/\/postgres:/, 'no password printed');
    } finally {
      child.kill('SIGTERM');
      for (const n of nodes) await n.close();
    }
  });
});
