// The program itself: help and usage errors in-process, and one real spawn of main.ts and bin/vdxp.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { EXAMPLES_DIR } from '@vdxp/edxml';
import { cli } from '../test-support/cli.ts';

const MAIN = new URL('main.ts', import.meta.url).pathname;
const BIN = new URL('../bin/vdxp', import.meta.url).pathname;
const MINIMAL = new URL('edoc-minimal-free-ids.edxml', EXAMPLES_DIR).pathname;

describe('vdxp', () => {
  it('--help lists the commands on stdout, exit 0', async () => {
    const r = await cli(['--help']);
    assert.equal(r.code, 0);
    for (const command of ['inspect', 'validate', 'build']) assert.match(r.stdout, new RegExp(`^  ${command}\\b`, 'm'));
    assert.equal(r.stderr, '');
  });

  it('with no command shows the commands on stderr, exit 2', async () => {
    const r = await cli([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Usage: vdxp/);
    assert.match(r.stderr, /^  validate\b/m);
  });

  it('help <command> shows its options', async () => {
    const r = await cli(['help', 'validate']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--strict/);
  });

  it('exits 2 on an unknown command or option', async () => {
    const a = await cli(['frobnicate']);
    assert.equal(a.code, 2);
    assert.match(a.stderr, /unknown command 'frobnicate'/);
    const b = await cli(['validate', '--stricter', MINIMAL]);
    assert.equal(b.code, 2);
    assert.match(b.stderr, /unknown option '--stricter'/);
  });

  it('runs as a real process: main.ts and the bin/vdxp launcher', () => {
    const main = spawnSync(process.execPath, [MAIN, 'validate', '--json', MINIMAL], { encoding: 'utf8' });
    assert.equal(main.status, 0, main.stderr);
    assert.equal((JSON.parse(main.stdout) as { valid: boolean }).valid, true);
    const bin = spawnSync(BIN, ['inspect', MINIMAL], { encoding: 'utf8' });
    assert.equal(bin.status, 0, bin.stderr);
    assert.match(bin.stdout, /Nơi gửi \/ From: +vxp\.saas\.03/);
    const usage = spawnSync(process.execPath, [MAIN, 'validate'], { encoding: 'utf8' });
    assert.equal(usage.status, 2);
  });
});
