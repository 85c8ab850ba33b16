// Optional mutual TLS on the native API: no client certificate, no connection; a certificate of another
// system, refused; the right one with the right token, served. Certificates are made with openssl per run.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, it } from 'node:test';
import { buildServer } from './http/server.ts';
import { startTestHub, type TestHub } from '../test-support/testkit.ts';

let dir: string;
let t: TestHub;
let port: number;
let closeServer: () => Promise<unknown>;
const pem = (name: string): Buffer => readFileSync(join(dir, name));

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCert(name: string, cn: string, ext?: string): void {
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`);
  const extArgs = ext ? (writeFileSync(join(dir, `${name}.ext`), ext), ['-extfile', `${name}.ext`]) : [];
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '1', '-out', `${name}.crt`, ...extArgs);
}

function get(path: string, token: string, client?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, path, method: 'GET', ca: pem('ca.crt'), headers: { authorization: `Bearer ${token}` },
      ...(client ? { cert: pem(`${client}.crt`), key: pem(`${client}.key`) } : {}),
    }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => { body += c.toString('utf8'); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vdxp-mtls-'));
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=vdxp test CA', '-days', '1');
  makeCert('server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1');
  makeCert('gov', 'sys.gov');
  makeCert('mof', 'sys.mof');
  t = await startTestHub();
  const app = buildServer(t.hub, { tls: { key: pem('server.key'), cert: pem('server.crt'), clientCa: pem('ca.crt') } });
  await app.listen({ port: 0, host: '127.0.0.1' });
  port = (app.server.address() as { port: number }).port;
  closeServer = () => app.close();
});

after(async () => {
  await closeServer();
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

it('serves a system over mutual TLS only with its own certificate', async () => {
  const token = t.systems['gov']?.token ?? '';
  const ok = await get('/v1/inbox', token, 'gov');
  assert.equal(ok.status, 200, ok.body);
  const other = await get('/v1/inbox', token, 'mof');
  assert.equal(other.status, 401);
  assert.equal((JSON.parse(other.body) as { error: { code: string } }).error.code, 'VDXP_E_AUTH_INVALID');
  await assert.rejects(get('/v1/inbox', token), 'no client certificate: the handshake fails');
});
