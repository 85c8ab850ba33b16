// `vdxp serve`: started in-process on a real socket (demo registry, printed credentials that work, restarts,
// operator commands beside the running hub taking effect at once), and once as a real process stopped by SIGTERM.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { buildPacketBytes } from '@vdxp/edxml';
import { DEMO_AGENCIES, DEMO_SYSTEMS } from '@vdxp/hub';
import { CliError } from '../context.ts';
import { cli } from '../../test-support/cli.ts';
import { shutdownSignal, startServe, type ServeHandle, type ServeOptions } from './serve.ts';
import { serveLimits } from '../serve-limits.ts';

const MAIN = new URL('../main.ts', import.meta.url).pathname;

let root: string;
before(() => { root = mkdtempSync(join(tmpdir(), 'vdxp-cli-serve-')); });
after(() => rmSync(root, { recursive: true, force: true }));

let folders = 0;
const freshData = (): string => join(root, `data-${++folders}`);

async function serve(o: Partial<ServeOptions> & { dataDir: string }): Promise<{ handle: ServeHandle; lines: string[] }> {
  const lines: string[] = [];
  const handle = await startServe({ port: 0, host: '127.0.0.1', out: (l) => { lines.push(l); }, ...o });
  return { handle, lines };
}

/** The credentials printed as `id: …` followed by `token: …` and `secret: …` lines. */
function printedCredentials(lines: readonly string[]): Map<string, { token: string; secret: string }> {
  const out = new Map<string, { token: string; secret: string }>();
  lines.forEach((line, i) => {
    const id = /^\s+id: +(\S+)$/.exec(line)?.[1];
    const token = /^\s+token: +(\S+)/.exec(lines[i + 1] ?? '')?.[1];
    const secret = /^\s+secret: +(\S+)/.exec(lines[i + 2] ?? '')?.[1];
    if (id !== undefined && token !== undefined && secret !== undefined) out.set(id, { token, secret });
  });
  return out;
}

async function call(url: string, token: string, method: string, path: string, body?: Uint8Array): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url + path, {
    method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/xml' } : {}) }, ...(body ? { body } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) as Record<string, unknown> : {} };
}

let packetCount = 0;
function edoc(from: string, to: string[]): Promise<Buffer> {
  packetCount++;
  return buildPacketBytes({ header: {
    MessageHeader: {
      From: { OrganId: from }, To: to.map((OrganId) => ({ OrganId })), DocumentId: `${from},2026/03/01,${packetCount}/CV-SERVE`,
      Code: { CodeNumber: String(packetCount), CodeNotation: 'CV-SERVE' }, Subject: `Công văn thử ${packetCount}`, ResponseFor: [],
    },
    TraceHeaderList: { TraceHeader: [{ OrganId: from, Timestamp: '2026/03/01 08:00:00' }] },
  } });
}

const inboxIds = async (url: string, token: string): Promise<string[]> => {
  const r = await call(url, token, 'GET', '/v1/inbox?limit=100');
  assert.equal(r.status, 200);
  return (r.json['items'] as { documentId: string }[]).map((i) => i.documentId);
};

describe('startServe', () => {
  it('seeds the demo registry into a new folder and prints credentials that work on the real socket', async () => {
    const dataDir = freshData();
    const { handle, lines } = await serve({ dataDir });
    try {
      assert.match(handle.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(handle.port, 0, 'port 0 becomes the real port');
      assert.equal(lines[0], `vdxp đang phục vụ / vdxp is serving at ${handle.url}`);
      for (const path of ['/v1/', '/docs', '/openapi.json', '/metrics']) assert.ok(lines.some((l) => l.endsWith(`${handle.url}${path}`)), path);
      assert.ok(lines.some((l) => l.includes('use --host 0.0.0.0 to expose it')));
      assert.ok(lines.some((l) => l.startsWith('[DEMO] Đã tạo danh bạ thử') && l.includes('illustration only')));
      assert.equal(await handle.hub.ctx.store.countAgencies(), DEMO_AGENCIES.length);

      const creds = printedCredentials(lines);
      assert.deepEqual([...creds.keys()], DEMO_SYSTEMS.map((s) => s.id));
      const vpcp = creds.get('demo.vpcp');
      const saas = creds.get('demo.saas');
      assert.ok(vpcp && saas);
      assert.ok(lines.some((l) => l.includes(`curl -H "Authorization: Bearer ${vpcp.token}" ${handle.url}/v1/inbox`)));
      assert.equal((await call(handle.url, vpcp.token, 'GET', '/v1/inbox')).status, 200);
      assert.equal((await call(handle.url, 'vdxp_wrong', 'GET', '/v1/inbox')).status, 401);
      for (const path of ['/healthz', '/docs', '/openapi.json', '/metrics']) assert.equal((await fetch(handle.url + path)).status, 200, path);

      const sent = await call(handle.url, vpcp.token, 'POST', '/v1/documents', await edoc('000.00.00.G22', ['000.01.00.H41']));
      assert.equal(sent.status, 201, JSON.stringify(sent.json));
      assert.deepEqual(await inboxIds(handle.url, saas.token), [sent.json['id']]);
    } finally {
      await handle.close();
    }

    // A restart keeps everything and does not seed again; it says how to get new demo credentials.
    const again = await serve({ dataDir });
    try {
      assert.equal(again.handle.demo, undefined);
      assert.ok(again.lines.some((l) => l.includes('[DEMO] Danh bạ thử đã có') && l.includes('demo.vpcp') && l.includes(`vdxp system rotate-secret <id> --data ${dataDir}`)));
      assert.equal(printedCredentials(again.lines).size, 0, 'tokens are printed once');
      const token = printedCredentials(lines).get('demo.vpcp')?.token ?? '';
      assert.equal((await call(again.handle.url, token, 'GET', '/v1/inbox')).status, 200, 'the first credentials still work');
    } finally {
      await again.handle.close();
    }
  });

  it('with demo false leaves a new registry empty and says how to fill it', async () => {
    const { handle, lines } = await serve({ dataDir: freshData(), demo: false });
    try {
      assert.equal(handle.demo, undefined);
      assert.equal(await handle.hub.ctx.store.countAgencies(), 0);
      assert.ok(lines.some((l) => l.startsWith('Chưa có hệ thống nào / No systems yet: vdxp agency import')));
    } finally {
      await handle.close();
    }
  });

  it('with demo true seeds beside an operator\'s registry without touching it', async () => {
    const dataDir = freshData();
    assert.equal((await cli(['agency', 'add', '--code', '000.00.00.G22', '--name', 'Văn phòng Chính phủ (thật)', '--data', dataDir])).code, 0);
    const { handle } = await serve({ dataDir, demo: true });
    try {
      assert.equal(handle.demo?.systemsAdded.length, DEMO_SYSTEMS.length);
      assert.equal((await handle.hub.ctx.store.getAgency('000.00.00.G22'))?.name, 'Văn phòng Chính phủ (thật)');
    } finally {
      await handle.close();
    }
  });

  it('refuses a port in use with a usage error, and leaves the folder usable', async () => {
    const dataDir = freshData();
    const first = await serve({ dataDir, demo: false });
    try {
      await assert.rejects(serve({ dataDir: freshData(), port: first.handle.port }), (e) => e instanceof CliError && e.exitCode === 2 && /port \d+ is in use/.test(e.message));
    } finally {
      await first.handle.close();
    }
    await first.handle.close(); // idempotent
  });
});

describe('startServe with limits and data folder checks', () => {
  it('runs with the limits given: a packet over the limit is refused with 413, deliveries get the time to live', async () => {
    const dataDir = freshData();
    const { handle, lines } = await serve({ dataDir, limits: serveLimits({ packetBytesMax: 128 * 1024, deliveryTtl: 3600 }, root) });
    try {
      assert.ok(lines.some((l) => l.includes('packet ≤ 128 KiB (packetBytesMax)') && l.includes('delivery TTL 1h')));
      const vpcp = printedCredentials(lines).get('demo.vpcp');
      assert.ok(vpcp);
      const big = await edoc('000.00.00.G22', ['000.01.00.H41']);
      // Whitespace after the root element is well-formed XML: only the size can refuse it.
      const over = Buffer.concat([big, Buffer.alloc(130 * 1024, 0x20)]);
      assert.equal((await call(handle.url, vpcp.token, 'POST', '/v1/documents', over)).status, 413);
      const sent = await call(handle.url, vpcp.token, 'POST', '/v1/documents', big);
      assert.equal(sent.status, 201);
      const d = (await handle.hub.ctx.store.deliveriesOfDocument(sent.json['id'] as string))[0];
      assert.equal((d?.expiresAt ?? 0) - (d?.createdAt ?? 0), 3600 * 1000);
    } finally {
      await handle.close();
    }
  });

  it('warns in the banner about a folder others can read, and refuses one others can write (exit 2, the chmod to run)', async () => {
    const dataDir = freshData();
    mkdirSync(dataDir, { mode: 0o700 });
    chmodSync(dataDir, 0o755);
    const { handle, lines } = await serve({ dataDir, demo: false });
    await handle.close();
    assert.ok(lines.some((l) => l.startsWith('  Cảnh báo: tài khoản khác đọc được') && l.includes(`chmod -R go-rwx ${dataDir}`)), lines.join('\n'));
    chmodSync(dataDir, 0o775);
    await assert.rejects(serve({ dataDir }), (e) => e instanceof CliError && e.exitCode === 2
      && e.message.startsWith('VDXP_E_DATA_FOLDER_UNSAFE') && e.message.includes(`chmod -R go-rwx ${dataDir}`));
    const listed = await cli(['agency', 'list', '--data', dataDir]);
    assert.equal(listed.code, 2);
    assert.match(listed.stderr, /VDXP_E_DATA_FOLDER_UNSAFE: .*chmod -R go-rwx/);
    chmodSync(dataDir, 0o755);
    const readable = await cli(['agency', 'list', '--data', dataDir]);
    assert.equal(readable.code, 0, readable.stderr);
    assert.match(readable.stderr, /^vdxp: Cảnh báo: .*other accounts on this machine can read the data folder/m);
  });
});

describe('operator commands beside a running hub', () => {
  it('agency add, system add and rotate-secret on the same folder take effect at once', async () => {
    const dataDir = freshData();
    const { handle, lines } = await serve({ dataDir });
    const run = (...args: string[]): ReturnType<typeof cli> => cli([...args, '--data', dataDir]);
    try {
      const vpcp = printedCredentials(lines).get('demo.vpcp');
      assert.ok(vpcp);
      assert.equal((await run('agency', 'add', '--code', '000.09.00.H41', '--name', 'UBND xã thử, Nghệ An')).code, 0);
      const added = await run('system', 'add', '--id', 'ops.commune', '--agencies', '000.09.00.H41', '--json');
      assert.equal(added.code, 0, added.stderr);
      const creds = JSON.parse(added.stdout) as { token: string };

      // The running hub knows the new system and the new agency without a restart.
      assert.equal((await call(handle.url, creds.token, 'GET', '/v1/inbox')).status, 200);
      const sent = await call(handle.url, creds.token, 'POST', '/v1/documents', await edoc('000.09.00.H41', ['000.00.00.G22']));
      assert.equal(sent.status, 201, JSON.stringify(sent.json));
      assert.ok((await inboxIds(handle.url, vpcp.token)).includes(sent.json['id'] as string));
      const toIt = await call(handle.url, vpcp.token, 'POST', '/v1/documents', await edoc('000.00.00.G22', ['000.09.00.H41']));
      assert.equal(toIt.status, 201, JSON.stringify(toIt.json));
      assert.deepEqual(await inboxIds(handle.url, creds.token), [toIt.json['id']]);

      const rotated = await run('system', 'rotate-secret', 'ops.commune', '--json');
      assert.equal(rotated.code, 0, rotated.stderr);
      const fresh = JSON.parse(rotated.stdout) as { token: string };
      assert.equal((await call(handle.url, creds.token, 'GET', '/v1/inbox')).status, 401, 'the old token stops at once');
      assert.equal((await call(handle.url, fresh.token, 'GET', '/v1/inbox')).status, 200);
    } finally {
      await handle.close();
    }
  });
});

describe('shutdownSignal', () => {
  it('resolves with the signal received and stops listening for it', async () => {
    const before = process.listenerCount('SIGHUP');
    const got = shutdownSignal(['SIGHUP']);
    assert.equal(process.listenerCount('SIGHUP'), before + 1);
    process.kill(process.pid, 'SIGHUP');
    assert.equal(await got, 'SIGHUP');
    assert.equal(process.listenerCount('SIGHUP'), before);
  });
});

describe('vdxp serve as a process', () => {
  it('prints the real port for --port 0, answers /healthz and the printed token, and stops on SIGTERM', async () => {
    const dataDir = freshData();
    const config = join(root, 'limits.json');
    writeFileSync(config, JSON.stringify({ deliveryAttemptsMax: 7, edxml: { packetBytesMax: 1024 ** 3 } }));
    const child = spawn(process.execPath, [MAIN, 'serve', '--data', dataDir, '--port', '0', '--config', config, '--packet-bytes-max', '256MiB', '--delivery-ttl', '2d'], {
      stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const lines: string[] = [];
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString('utf8'); });
    try {
      let url: string | undefined;
      for await (const line of createInterface({ input: child.stdout })) {
        lines.push(line);
        url ??= /is serving at (http:\/\/\S+)$/.exec(line)?.[1];
        if (line.startsWith('Dừng bằng Ctrl+C')) break;
      }
      assert.ok(url, `no URL printed; stderr: ${stderr}`);
      assert.ok(lines.includes('  Giới hạn / Limits: gói tin / packet ≤ 256 MiB (packetBytesMax), 7 lần giao lỗi / failed deliveries '
        + '(deliveryAttemptsMax), hạn giao / delivery TTL 2d (deliveryTtlSeconds)'), lines.join('\n'));
      assert.match(url, /:\d+$/);
      assert.doesNotMatch(url, /:0$/);
      const health = await fetch(`${url}/healthz`);
      assert.equal(health.status, 200);
      assert.deepEqual(await health.json(), { status: 'ok' });
      const token = printedCredentials(lines).get('demo.nghean')?.token ?? '';
      assert.equal((await call(url, token, 'GET', '/v1/inbox')).status, 200);
    } finally {
      child.kill('SIGTERM');
    }
    const rest: string[] = [];
    child.stdout.on('data', (c: Buffer) => { rest.push(c.toString('utf8')); });
    const [code, signal] = await exited;
    assert.equal(signal, null, 'it exits by itself, not killed by the signal');
    assert.equal(code, 0, stderr);
    assert.match(rest.join(''), /vdxp: đã dừng \/ stopped/);
  });
});

describe('serve over TLS with signatures required', () => {
  it('serves HTTPS with the given certificate and refuses unsigned packets', async () => {
    const dir = mkdtempSync(join(root, 'tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { cwd: dir, stdio: 'pipe' });
    const { handle, lines } = await serve({
      dataDir: freshData(), tls: { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) }, requireValidSignature: true,
    });
    try {
      assert.match(handle.url, /^https:\/\//);
      assert.ok(lines.some((l) => l.includes(handle.url)), 'the banner shows the https URL');
      const [id, creds] = [...printedCredentials(lines)][0] ?? assert.fail('demo credentials printed');
      const system = DEMO_SYSTEMS.find((s) => s.id === id) ?? assert.fail(`demo system ${id}`);
      const from = system.agencies[0] ?? assert.fail('the demo system acts for an agency');
      const to = DEMO_AGENCIES.find((a) => a.code !== from && !system.agencies.includes(a.code))?.code ?? assert.fail('another agency');
      const body = await edoc(from, [to]);
      const answer = await new Promise<{ status: number; text: string }>((resolvePromise, reject) => {
        const req = httpsRequest(`${handle.url}/v1/documents`, {
          method: 'POST', ca: readFileSync(join(dir, 'cert.pem')), headers: { authorization: `Bearer ${creds.token}`, 'content-type': 'application/xml' },
        }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => { text += c.toString('utf8'); });
          res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end(body);
      });
      assert.equal(answer.status, 422, answer.text);
      assert.equal((JSON.parse(answer.text) as { error: { code: string } }).error.code, 'VDXP_E_SIGNATURE_REQUIRED_VALID');
    } finally {
      await handle.close();
    }
  });
});
