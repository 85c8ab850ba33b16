// `vdxp serve` limits: size and duration flags, the JSON config with HubLimits' names, flags over the file,
// refusals that name the key (and leave no data folder behind), and the start-up block.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_HUB_LIMITS } from '@vdxp/hub';
import { CliError } from './context.ts';
import { runCli } from './program.ts';
import { durationArg } from './duration.ts';
import { byteSizeArg, limitsBanner, serveLimits } from './serve-limits.ts';

let root: string;
let files = 0;
before(() => { root = mkdtempSync(join(tmpdir(), 'vdxp-serve-limits-')); });
after(() => rmSync(root, { recursive: true, force: true }));

function config(json: string): string {
  const path = join(root, `limits-${++files}.json`);
  writeFileSync(path, json);
  return path;
}

/** One `vdxp` run in-process: its exit code and stderr (stdout is not looked at here). */
async function cli(argv: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const sink = (keep: boolean): Writable => new Writable({ write(chunk: Buffer, _enc, done) { if (keep) stderr += chunk.toString('utf8'); done(); } });
  const code = await runCli(argv, { stdout: sink(false), stderr: sink(true), now: () => new Date(), cwd: root });
  return { code, stderr };
}

/** The CliError serveLimits throws, for matching its message. */
function refusalOf(fn: () => unknown): CliError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CliError, String(e));
    assert.equal(e.exitCode, 2);
    return e;
  }
  assert.fail('expected a refusal');
}

describe('limit flags', () => {
  it('take sizes in bytes or binary units, and durations in seconds or s/m/h/d', () => {
    assert.equal(byteSizeArg('1GiB'), 1024 ** 3);
    assert.equal(byteSizeArg('512MiB'), 512 * 1024 ** 2);
    assert.equal(byteSizeArg('10 kib'), 10_240);
    assert.equal(byteSizeArg('123456'), 123_456);
    for (const bad of ['1GB', '1.5GiB', '-5', 'abc', '']) assert.throws(() => byteSizeArg(bad), /a size in bytes/, bad);
    assert.equal(durationArg('30d'), 30 * 86_400);
    assert.equal(durationArg('12h'), 43_200);
    assert.equal(durationArg('90m'), 5400);
    assert.equal(durationArg('3600'), 3600);
    for (const bad of ['1w', '-1', '1.5d', 'd']) assert.throws(() => durationArg(bad), /a duration/, bad);
  });

  it('refuse a malformed value before anything is opened (exit 2, no data folder)', async () => {
    const dir = join(root, 'never-created');
    const r = await cli(['serve', '--packet-bytes-max', '1GB', '--data', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--packet-bytes-max.*a size in bytes/);
    const zero = await cli(['serve', '--delivery-attempts-max', '0', '--data', dir]);
    assert.equal(zero.code, 2);
    assert.match(zero.stderr, /VDXP_E_LIMIT_INVALID: deliveryAttemptsMax: must be from 1 to/);
    assert.equal(existsSync(dir), false);
  });
});

describe('serveLimits', () => {
  it('is the defaults without flags or file', () => {
    assert.deepEqual(serveLimits({}, root), { ...DEFAULT_HUB_LIMITS, edxml: { ...DEFAULT_HUB_LIMITS.edxml } });
  });

  it('reads a config file by HubLimits names, and flags override it', () => {
    const file = config(JSON.stringify({ deliveryAttemptsMax: 5, deliveryTtlSeconds: 7 * 86_400, pageSizeMax: 500, edxml: { packetBytesMax: 256 * 1024 ** 2, depthMax: 20 } }));
    const fromFile = serveLimits({ config: file }, root);
    assert.equal(fromFile.deliveryAttemptsMax, 5);
    assert.equal(fromFile.deliveryTtlSeconds, 604_800);
    assert.equal(fromFile.pageSizeMax, 500);
    assert.equal(fromFile.edxml.packetBytesMax, 256 * 1024 ** 2);
    assert.equal(fromFile.edxml.depthMax, 20);
    assert.equal(fromFile.edxml.attachmentsMax, DEFAULT_HUB_LIMITS.edxml.attachmentsMax, 'edxml limits the file leaves out keep their defaults');
    const both = serveLimits({ config: file, deliveryAttemptsMax: 3, deliveryTtl: 3600, packetBytesMax: 1024 ** 3 }, root);
    assert.equal(both.deliveryAttemptsMax, 3);
    assert.equal(both.deliveryTtlSeconds, 3600);
    assert.equal(both.edxml.packetBytesMax, 1024 ** 3);
    assert.equal(both.edxml.depthMax, 20, 'a flag replaces one key, not the file\'s edxml block');
  });

  it('refuses unknown keys, wrong types and values out of range, naming the key and the file', () => {
    const cases: [string, RegExp][] = [
      ['{"deliveryAttempts": 5}', /deliveryAttempts: unknown limit; known: .*deliveryAttemptsMax/],
      ['{"edxml": {"packetBytes": 5}}', /edxml\.packetBytes: unknown edxml limit/],
      ['{"deliveryAttemptsMax": "5"}', /deliveryAttemptsMax: must be a number, got "5"/],
      ['{"deliveryAttemptsMax": 2.5}', /deliveryAttemptsMax: must be a whole number/],
      ['{"deliveryTtlSeconds": 0}', /deliveryTtlSeconds: must be from 1 to/],
      ['{"edxml": {"packetBytesMax": -1}}', /edxml\.packetBytesMax: must be from 1 to/],
      ['{"edxml": 5}', /edxml: must be an object/],
      ['[1, 2]', /the config must be a JSON object/],
      ['{"edxml": {"packetBytesMax": 1000}}', /edxml\.packetBytesMax: 1000 bytes is below inlinePacketBytesMax \(65536\)/],
      ['{"pageSizeDefault": 2000}', /pageSizeDefault: 2000 is above pageSizeMax/],
    ];
    for (const [json, message] of cases) {
      const file = config(json);
      const e = refusalOf(() => serveLimits({ config: file }, root));
      assert.match(e.message, /VDXP_E_LIMIT_INVALID/, json);
      assert.match(e.message, message, json);
      assert.ok(e.message.includes(file), `${json}: names the file`);
    }
    assert.match(refusalOf(() => serveLimits({ config: config('{"deliveryAttemptsMax": 5,}') }, root)).message, /not readable as JSON/);
    assert.match(refusalOf(() => serveLimits({ config: join(root, 'missing.json') }, root)).message, /missing\.json: .*not readable as JSON: ENOENT/);
    assert.match(refusalOf(() => serveLimits({ packetBytesMax: 1000 }, root)).message, /^flags: VDXP_E_LIMIT_INVALID: edxml\.packetBytesMax/);
    assert.match(refusalOf(() => serveLimits({ deliveryTtl: 200 * 365 * 86_400 }, root)).message, /deliveryTtlSeconds: must be from 1 to 3153600000/);
    // Inline kept off (0) is a real choice, and then any packet limit goes.
    assert.equal(serveLimits({ config: config('{"inlinePacketBytesMax": 0, "edxml": {"packetBytesMax": 1000}}') }, root).edxml.packetBytesMax, 1000);
  });

  it('prints the tuned limits in one block, and any other that differs from its default', () => {
    assert.deepEqual(limitsBanner(serveLimits({}, root)), [
      '  Giới hạn / Limits: gói tin / packet ≤ 1 GiB (packetBytesMax), 10 lần giao lỗi / failed deliveries (deliveryAttemptsMax), '
        + 'hạn giao / delivery TTL 30d (deliveryTtlSeconds)',
    ]);
    const tuned = serveLimits({ config: config('{"pageSizeMax": 500, "edxml": {"depthMax": 20}}'), packetBytesMax: 512 * 1024 ** 2 + 1, deliveryTtl: 5400 }, root);
    assert.deepEqual(limitsBanner(tuned), [
      '  Giới hạn / Limits: gói tin / packet ≤ 536870913 B (packetBytesMax), 10 lần giao lỗi / failed deliveries (deliveryAttemptsMax), '
        + 'hạn giao / delivery TTL 90m (deliveryTtlSeconds)',
      '    khác mặc định / other than default: pageSizeMax=500, edxml.depthMax=20',
    ]);
  });
});
