// The HTTP timers over real sockets, with limits shortened to a second: a large upload that keeps sending is
// never cut by a whole-request timer, however long it takes; a connection gone silent is cut and leaves nothing
// staged; headers dribbled in are cut by the headers timer; a long-poll longer than the idle timer is answered.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { edoc, listen, startTestHub, type TestHub } from '../test-support/testkit.ts';

const IDLE_SECONDS = 1;
const HEADERS_SECONDS = 1;
/** Far above both timers: a connection still open after this was not cut. */
const CUT_WAIT_MS = 20_000;

let t: TestHub;
let url: URL;
let close: () => Promise<void>;

before(async () => {
  t = await startTestHub({ limits: { httpIdleSecondsMax: IDLE_SECONDS, httpHeadersSecondsMax: HEADERS_SECONDS, inlinePacketBytesMax: 1024 } });
  const s = await listen(t.hub);
  url = new URL(s.url);
  close = async () => { await s.app.close(); await t.close(); };
});
after(async () => close());

const token = (): string => t.systems['gov']?.token ?? '';
const staged = (): string[] => readdirSync(join(t.dir, 'tmp'));

/** Opens a raw connection, writes `head`, and resolves with what the server sent once it closed the connection. */
function rawConnection(): { write(b: string | Buffer): void; closed: Promise<string> } {
  const socket = connect(Number(url.port), url.hostname);
  const got: Buffer[] = [];
  socket.on('data', (b: Buffer) => got.push(b));
  const closed = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`the server kept the connection open ${CUT_WAIT_MS} ms`)); }, CUT_WAIT_MS);
    socket.once('close', () => { clearTimeout(timer); resolve(Buffer.concat(got).toString('latin1')); });
    socket.once('error', () => undefined);
  });
  return { write: (b) => { if (!socket.destroyed) socket.write(b); }, closed };
}

describe('HTTP timers', () => {
  it('accepts an upload that takes several idle limits, sent slowly but without pause', async () => {
    const packet = await edoc('000.00.00.G22', ['000.00.00.H41'], {}, [
      { ContentId: 'cid:1', AttachmentName: 'cham.pdf', ContentType: 'application/pdf', content: randomBytes(48 * 1024) },
    ]);
    const slices = 16;
    const gapMs = (IDLE_SECONDS * 1000) / 4;
    // 16 slices a quarter of the idle limit apart: the body takes 4 idle limits (and 4 headers limits) to arrive.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(new URL('/v1/documents', url), {
        method: 'POST', headers: { authorization: `Bearer ${token()}`, 'content-type': 'application/xml', 'content-length': packet.byteLength },
      }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (b: Buffer) => parts.push(b));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
      });
      req.once('error', reject);
      void (async () => {
        const size = Math.ceil(packet.byteLength / slices);
        for (let at = 0; at < packet.byteLength; at += size) {
          req.write(packet.subarray(at, at + size));
          await sleep(gapMs);
        }
        req.end();
      })().catch(reject);
    });
    assert.equal(answer.status, 201, answer.body);
    assert.deepEqual(staged(), []);
  });

  it('cuts an upload that stops sending, and keeps nothing of it', async () => {
    const packet = await edoc('000.00.00.G22', ['000.00.00.H41'], {}, [
      { ContentId: 'cid:1', AttachmentName: 'dung.pdf', ContentType: 'application/pdf', content: randomBytes(32 * 1024) },
    ]);
    const c = rawConnection();
    c.write(`POST /v1/documents HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token()}\r\nContent-Type: application/xml\r\nContent-Length: ${packet.byteLength}\r\n\r\n`);
    // More than the inline limit, so the packet was being staged when the client fell silent.
    c.write(packet.subarray(0, packet.byteLength / 2));
    await c.closed;
    // The intake saw its body end early: the staged file goes (asynchronously, after the socket closed).
    const deadline = Date.now() + CUT_WAIT_MS;
    while (staged().length > 0 && Date.now() < deadline) await sleep(50);
    assert.deepEqual(staged(), []);
    // Only the slow upload's document reached the recipient.
    const inbox = await fetch(new URL('/v1/inbox?kind=edoc', url), { headers: { authorization: `Bearer ${t.systems['nghean']?.token ?? ''}` } });
    assert.equal(((await inbox.json()) as { items: unknown[] }).items.length, 1);
  });

  it('cuts a client that dribbles its headers past the headers limit, though never idle', async () => {
    const c = rawConnection();
    c.write(`GET /v1/inbox HTTP/1.1\r\nHost: ${url.host}\r\n`);
    let stop = false;
    const dribble = (async () => {
      // One header line every fifth of the idle limit: the idle timer never fires, only the headers timer can.
      for (let i = 0; !stop && i < 1000; i++) {
        c.write(`X-Slow-${i}: a\r\n`);
        await sleep((IDLE_SECONDS * 1000) / 5);
      }
    })();
    const got = await c.closed;
    stop = true;
    await dribble;
    assert.match(got, /^HTTP\/1\.1 408 /);
  });

  it('answers a long-poll that waits longer than the idle limit', async () => {
    const wait = IDLE_SECONDS * 3;
    const res = await fetch(new URL(`/v1/inbox?kind=edoc&after=999999&wait=${wait}`, url), { headers: { authorization: `Bearer ${t.systems['caobang']?.token ?? ''}` } });
    assert.equal(res.status, 200);
    assert.deepEqual(((await res.json()) as { items: unknown[] }).items, []);
  });
});
