// `GET /v1/inbox/stream?prefetch=N[&kind=…][&inline=BYTES][&seconds=S]`: the inbox stream (delivery-stream.ts)
// as one long-lived answer of NDJSON lines (application/x-ndjson), documented in openapi.ts (InboxStreamLine):
// `open` first, then `item` lines (the inline inbox answer's item: small packets in base64, handed out with
// the line; larger ones to fetch by id), `heartbeat` lines when quiet, and `end` last (time up, shutdown, or a
// store error with its code). Parameters are checked before anything is sent: a refusal is a plain error answer.

import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { InboxEntry } from '../delivery.ts';
import { streamInbox, type InboxStreamEvent } from '../delivery-stream.ts';
import { describeError, HubError } from '../errors.ts';
import type { Hub } from '../hub.ts';
import type { SystemRecord } from '../store/store.ts';

function wholeParam(value: unknown, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new HubError('VDXP_E_BAD_REQUEST', `${name} must be a whole number ≥ 0`);
  return n;
}

export function registerInboxStream(
  app: FastifyInstance, hub: Hub,
  auth: (req: FastifyRequest, reply: FastifyReply) => Promise<SystemRecord>,
  itemOf: (e: InboxEntry) => Record<string, unknown>,
): void {
  const ctx = hub.ctx;
  app.get('/v1/inbox/stream', async (req, reply) => {
    const system = await auth(req, reply);
    const q = req.query as Record<string, string | undefined>;
    const max = ctx.limits.streamPrefetchMax;
    const prefetchText = q['prefetch'];
    const prefetch = Number(prefetchText);
    if (prefetchText === undefined || prefetchText === '' || !Number.isSafeInteger(prefetch) || prefetch < 1 || prefetch > max) {
      throw new HubError('VDXP_E_STREAM_PREFETCH', `prefetch must be a whole number from 1 to ${max} (deliveries handed out and not yet acked), got ${JSON.stringify(prefetchText ?? null)}`, {
        details: { streamPrefetchMax: max },
      });
    }
    const kind = q['kind'];
    if (kind !== undefined && kind !== '' && kind !== 'edoc' && kind !== 'status') throw new HubError('VDXP_E_BAD_REQUEST', 'kind must be edoc or status');
    const inline = wholeParam(q['inline'], 'inline') ?? ctx.limits.inboxInlinePacketBytesMax;
    const seconds = wholeParam(q['seconds'], 'seconds') ?? ctx.limits.streamSecondsMax;

    const abort = new AbortController();
    reply.raw.once('close', () => { abort.abort(); });
    const out = new PassThrough();
    const send = async (text: string): Promise<void> => {
      if (!out.write(text)) await once(out, 'drain', { signal: abort.signal });
    };
    const write = async (e: InboxStreamEvent): Promise<void> => {
      if (e.type !== 'items') { await send(`${JSON.stringify(e)}\n`); return; }
      await send(e.entries.map((x) => `${JSON.stringify({ type: 'item', item: itemOf(x) })}\n`).join(''));
    };
    void (async () => {
      try {
        await streamInbox(ctx, system, { prefetch, ...(kind === 'edoc' || kind === 'status' ? { kind } : {}), inlinePacketBytes: inline, seconds, signal: abort.signal }, write);
      } catch (e) {
        if (!abort.signal.aborted) {
          // Past the status line: the error goes in the last line; what was handed out stays pending.
          const d = describeError(e);
          if (d.status >= 500 && d.code !== 'VDXP_E_DATABASE_UNAVAILABLE') req.log.error({ err: e }, 'inbox stream failed');
          await send(`${JSON.stringify({ type: 'end', reason: 'error', error: { code: d.code, message: d.message } })}\n`).catch(() => {});
        }
      } finally {
        out.end();
      }
    })();
    return reply
      .type('application/x-ndjson; charset=utf-8')
      .header('cache-control', 'no-store')
      // Minutes long: nothing is gained by keeping its connection for another call, and a stream that ends at
      // shutdown must not leave a kept-alive connection holding the server's close up.
      .header('connection', 'close')
      .send(out);
  });
}
