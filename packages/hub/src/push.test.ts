// Push notices against a real receiving HTTP server: a signed notice when a delivery is queued (checked with
// @vdxp/client's verifyPushNotice), retries with backoff after failures, intake never waiting for a receiver
// that hangs, and a restart that sends the notice still owed.

import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { verifyPushNotice } from '../../client/src/push.ts';
import { PushNotifier } from './push.ts';
import { setSystemPushUrl } from './registry.ts';
import { edoc, listen, startTestHub, type TestHub } from '../test-support/testkit.ts';
import { waitFor } from '../test-support/wait-for.ts';

let t: TestHub;
let url: string;
let stop: () => Promise<void>;

before(async () => {
  t = await startTestHub({ limits: { pushTimeoutSeconds: 1, pushAttemptsMax: 4 } });
  const s = await listen(t.hub);
  url = s.url;
  stop = async () => { await s.app.close(); await t.close(); };
});
after(async () => stop());

interface Received { headers: IncomingHttpHeaders; body: string }

/** A receiving server; `answer` decides each response (status, or 'hang' to hold the request open). */
async function receiver(answer: (n: number) => number | 'hang'): Promise<{ url: string; got: Received[]; held: ServerResponse[]; close: () => Promise<void> }> {
  const got: Received[] = [];
  const held: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(parts).toString('utf8') });
      const a = answer(got.length);
      if (a === 'hang') held.push(res);
      else res.writeHead(a).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/vdxp-push`, got, held,
    close: () => new Promise((resolve) => { for (const r of held) r.destroy(); server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

async function send(from: string, to: string, token: string): Promise<{ id: string; deliveries: { id: string }[] }> {
  const res = await fetch(`${url}/v1/documents`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/xml' }, body: await edoc(from, [to]) });
  assert.equal(res.status, 201);
  return await res.json() as { id: string; deliveries: { id: string }[] };
}

const verify = (r: Received | undefined, secret: string, now?: number): ReturnType<typeof verifyPushNotice> => verifyPushNotice({
  secret, body: r?.body ?? '', timestamp: r?.headers['x-vdxp-timestamp'] as string | undefined, signature: r?.headers['x-vdxp-signature'] as string | undefined,
  ...(now !== undefined ? { now } : {}),
});

describe('push notices', () => {
  it('POSTs a signed notice listing the queued delivery; a wrong secret or an old timestamp does not verify', async () => {
    const rx = await receiver(() => 204);
    await setSystemPushUrl(t.hub.ctx, 'sys.caobang', rx.url, 'test');
    const push = new PushNotifier(t.hub.ctx, { delayMsInitial: 10 });
    await push.start();
    try {
      const sent = await send('000.00.00.G22', '000.00.00.H14', t.systems['gov']?.token ?? '');
      await waitFor(() => rx.got.some((r) => r.body.includes(sent.id)), { what: 'a notice naming the document' });
      const r = rx.got.find((x) => x.body.includes(sent.id));
      const notice = await verify(r, 'caobang-secret');
      assert.equal(notice.type, 'deliveries.queued');
      assert.equal(notice.system, 'sys.caobang');
      assert.ok(notice.deliveries.some((d) => d.deliveryId === sent.deliveries[0]?.id && d.documentId === sent.id && d.kind === 'edoc' && d.to === '000.00.00.H14'));
      assert.equal(r?.headers['content-type'], 'application/json');
      await assert.rejects(verify(r, 'another-secret'), /signature does not match/);
      await assert.rejects(verify(r, 'caobang-secret', Date.now() + 3600_000), /away from now/);
      // The recipient fetches as usual: the long-poll stays, and it sees the delivery.
      const inbox = await (await fetch(`${url}/v1/inbox?kind=edoc`, { headers: { authorization: `Bearer ${t.systems['caobang']?.token ?? ''}` } })).json() as { items: { documentId: string }[] };
      assert.ok(inbox.items.some((i) => i.documentId === sent.id));
    } finally {
      await push.close();
      await rx.close();
      await setSystemPushUrl(t.hub.ctx, 'sys.caobang', null, 'test');
    }
  });

  it('retries a failed notice with backoff until the receiver takes it', async () => {
    const rx = await receiver((n) => (n <= 2 ? 500 : 200));
    await setSystemPushUrl(t.hub.ctx, 'sys.mof', rx.url, 'test');
    const push = new PushNotifier(t.hub.ctx, { delayMsInitial: 10 });
    await push.start();
    try {
      const before = push.sent;
      await send('000.00.00.G22', '000.00.00.G12', t.systems['gov']?.token ?? '');
      await waitFor(() => push.sent > before, { what: 'a notice taken after two failures' });
      assert.ok(rx.got.length >= 3, `three attempts at least, got ${rx.got.length}`);
      for (const r of rx.got) await verify(r, 'mof-secret');
    } finally {
      await push.close();
      await rx.close();
      await setSystemPushUrl(t.hub.ctx, 'sys.mof', null, 'test');
    }
  });

  it('never holds intake up: documents are accepted while the receiver hangs, and it is given up after pushAttemptsMax', async () => {
    const rx = await receiver(() => 'hang');
    await setSystemPushUrl(t.hub.ctx, 'sys.nghean', rx.url, 'test');
    const push = new PushNotifier(t.hub.ctx, { delayMsInitial: 10 });
    await push.start();
    try {
      await send('000.00.00.G22', '000.00.00.H41', t.systems['gov']?.token ?? '');
      await waitFor(() => rx.held.length >= 1, { what: 'the receiver holding a notice' });
      // Accepted while the notice is held open by the receiver.
      const second = await send('000.00.00.G22', '000.00.00.H41', t.systems['gov']?.token ?? '');
      assert.ok(second.id);
      assert.equal(push.sent, 0);
      await waitFor(() => push.dropped >= 1, { timeoutMs: 30_000, what: 'the notices given up after pushAttemptsMax timeouts' });
    } finally {
      await push.close();
      await rx.close();
      await setSystemPushUrl(t.hub.ctx, 'sys.nghean', null, 'test');
    }
  });

  it('owes a notice across a restart: a new notifier sends one for deliveries still queued', async () => {
    const down = await receiver(() => 503);
    await setSystemPushUrl(t.hub.ctx, 'sys.gov', down.url, 'test');
    const first = new PushNotifier(t.hub.ctx, { delayMsInitial: 10_000 });
    await first.start();
    const sent = await send('000.00.00.H41', '000.00.00.G22', t.systems['nghean']?.token ?? '');
    await waitFor(() => down.got.length >= 1, { what: 'the first, failed, notice' });
    // The hub stops (a crash would do the same: nothing about the notice was kept but the queued delivery).
    await first.close();
    await down.close();
    const rx = await receiver(() => 200);
    await setSystemPushUrl(t.hub.ctx, 'sys.gov', rx.url, 'test');
    const second = new PushNotifier(t.hub.ctx, { delayMsInitial: 10 });
    await second.start();
    try {
      await waitFor(() => rx.got.some((r) => r.body.includes(sent.id)), { what: 'the owed notice after the restart' });
      await verify(rx.got[0], 'gov-secret');
    } finally {
      await second.close();
      await rx.close();
      await setSystemPushUrl(t.hub.ctx, 'sys.gov', null, 'test');
    }
  });
});
