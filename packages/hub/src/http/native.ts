// The native REST API (documented in openapi.ts): bearer token per system; packets in and out as raw bytes.

import type { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ackDeliveries, ackDelivery, deliveryOf, fetchPacket, inboxWithPackets, type AckRequest, type InboxEntry } from '../delivery.ts';
import { documentView } from '../documents.ts';
import { HubError } from '../errors.ts';
import type { Hub } from '../hub.ts';
import { submitPacket } from '../intake.ts';
import { markCaller } from '../activity.ts';
import { admitCall } from './admission.ts';
import { authenticateToken } from '../registry.ts';
import { stats } from '../stats.ts';
import type { DeliveryRow, DocumentRow, SystemRecord } from '../store/store.ts';
import { docsPage, OPENAPI } from './openapi.ts';
import { registerInboxStream } from './stream.ts';

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  return h?.startsWith('Bearer ') ? h.slice(7).trim() : undefined;
}

function intParam(value: unknown, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new HubError('VDXP_E_BAD_REQUEST', `${name} must be a whole number ≥ 0`);
  return n;
}

function kindParam(value: unknown): 'edoc' | 'status' | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'edoc' || value === 'status') return value;
  throw new HubError('VDXP_E_BAD_REQUEST', 'kind must be edoc or status');
}

/** With mutual TLS on, the client certificate's CN must name the system the token belongs to. */
function checkClientCertificate(req: FastifyRequest, system: SystemRecord): void {
  const socket = req.raw.socket as TLSSocket;
  const cn = typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate().subject?.CN : undefined;
  if (cn !== system.id) {
    throw new HubError('VDXP_E_AUTH_INVALID', `The client certificate (CN=${String(cn)}) does not belong to system ${system.id}`);
  }
}

/** A delivery as its recipient sees it (an inbox item; any state). */
function deliveryItem(d: DeliveryRow, doc: DocumentRow): Record<string, unknown> {
  return {
    deliveryId: d.id, documentId: doc.id, kind: d.kind, from: doc.fromAgency, to: d.recipient, addressedTo: d.addressedTo,
    edxmlDocumentId: doc.edxmlId, subject: doc.subject, statusCode: doc.statusCode, answers: doc.answers,
    businessType: doc.businessType, bytes: doc.bytes, digest: doc.digest, state: d.state, attempts: d.attempts,
    receivedAt: new Date(doc.receivedAt).toISOString(),
  };
}

/** An inbox item, with its packet in base64 when the answer carries it. */
function inboxEntry(e: InboxEntry): Record<string, unknown> {
  const item = deliveryItem(e.delivery, e.document);
  return e.packet === undefined ? item : { ...item, packet: e.packet.toString('base64') };
}

/** A batch ack's body, checked whole before anything is recorded: a malformed item refuses the call. */
function ackBatch(body: unknown, itemsMax: number): AckRequest[] {
  const shape = 'Body must be [{"deliveryId": string, "result": "done" | "fail", "reason"?: string}, …]';
  if (!Array.isArray(body)) throw new HubError('VDXP_E_BAD_REQUEST', shape);
  if (body.length > itemsMax) {
    throw new HubError('VDXP_E_ACK_BATCH_TOO_LARGE', `${body.length} acks in one call; at most ${itemsMax}`, { details: { acks: body.length, ackBatchItemsMax: itemsMax } });
  }
  return body.map((x: unknown, i): AckRequest => {
    const a = (typeof x === 'object' && x !== null ? x : {}) as { deliveryId?: unknown; result?: unknown; reason?: unknown };
    if (typeof a.deliveryId !== 'string' || a.deliveryId === '') throw new HubError('VDXP_E_BAD_REQUEST', `[${i}].deliveryId must be a delivery id. ${shape}`);
    if (a.result !== 'done' && a.result !== 'fail') throw new HubError('VDXP_E_BAD_REQUEST', `[${i}].result must be done or fail. ${shape}`);
    if (a.reason !== undefined && typeof a.reason !== 'string') throw new HubError('VDXP_E_BAD_REQUEST', `[${i}].reason must be a string`);
    return { deliveryId: a.deliveryId, result: a.result, ...(a.reason !== undefined ? { reason: a.reason } : {}) };
  });
}

export function registerNativeApi(app: FastifyInstance, hub: Hub, options: { mutualTls: boolean } = { mutualTls: false }): void {
  const ctx = hub.ctx;
  const auth = async (req: FastifyRequest, reply: FastifyReply): Promise<SystemRecord> => {
    const system = await authenticateToken(ctx, bearer(req));
    if (options.mutualTls) checkClientCertificate(req, system);
    markCaller(req.raw, system.id, 'native');
    admitCall(ctx, reply.raw, system.id);
    return system;
  };

  app.get('/openapi.json', async () => OPENAPI);
  app.get('/docs', async (_req, reply) => reply.type('text/html; charset=utf-8').send(docsPage()));

  app.post('/v1/documents', async (req, reply) => {
    const system = await auth(req, reply);
    const r = await submitPacket(ctx, system, req.raw, { via: 'native' });
    return reply.code(r.created ? 201 : 200).send({
      id: r.document.id, kind: r.document.kind, digest: r.document.digest, bytes: r.document.bytes,
      deliveries: r.deliveries, warnings: r.warnings, ...(r.recall ? { recall: r.recall } : {}),
    });
  });

  app.get('/v1/inbox', async (req, reply) => {
    const system = await auth(req, reply);
    const q = req.query as Record<string, string | undefined>;
    // The response closes early only when the client went away: stop waiting for it then.
    const abort = new AbortController();
    reply.raw.once('close', () => abort.abort());
    const kind = kindParam(q['kind']);
    const afterSeq = intParam(q['after'], 'after');
    const limit = intParam(q['limit'], 'limit');
    const waitSeconds = intParam(q['wait'], 'wait');
    // A long-poll is silent by design: its wait is added to the connection's idle timer, for this request only.
    const socket = req.raw.socket;
    const idleMs = ctx.limits.httpIdleSecondsMax * 1000;
    if (waitSeconds !== undefined && waitSeconds > 0) socket.setTimeout(idleMs + Math.min(waitSeconds, ctx.limits.longPollSecondsMax) * 1000);
    const inline = intParam(q['inline'], 'inline');
    let page;
    try {
      page = await inboxWithPackets(ctx, system, {
        ...(kind ? { kind } : {}), ...(afterSeq !== undefined ? { afterSeq } : {}), ...(limit !== undefined ? { limit } : {}),
        ...(waitSeconds !== undefined ? { waitSeconds } : {}), signal: abort.signal, inlinePacketBytes: inline ?? 0,
      });
    } finally {
      if (waitSeconds !== undefined && waitSeconds > 0) socket.setTimeout(idleMs);
    }
    return {
      items: page.entries.map(inboxEntry),
      next: page.nextSeq !== undefined ? String(page.nextSeq) : (q['after'] ?? null),
      // Says that this hub carries packets inline and takes batch acks: a client falls back to one by one without it.
      ...(inline !== undefined ? { inlinePacketBytesMax: page.inlinePacketBytesMax } : {}),
    };
  });

  registerInboxStream(app, hub, auth, inboxEntry);

  app.post('/v1/deliveries/ack', async (req, reply) => {
    const system = await auth(req, reply);
    const acks = ackBatch(req.body, ctx.limits.ackBatchItemsMax);
    const outcomes = await ackDeliveries(ctx, system, acks);
    return {
      results: outcomes.map((o) => o.ok
        ? { deliveryId: o.deliveryId, state: o.delivery.state, attempts: o.delivery.attempts, changed: o.changed }
        : { deliveryId: o.deliveryId, error: { code: o.error.code, message: o.error.message, ...(o.error.details ? { details: o.error.details } : {}) } }),
    };
  });

  app.get('/v1/deliveries/:id/packet', async (req, reply) => {
    const system = await auth(req, reply);
    const { id } = req.params as { id: string };
    const p = await fetchPacket(ctx, system, id);
    return reply
      .type('application/xml')
      .header('content-length', p.bytes)
      .header('repr-digest', `sha-256=:${Buffer.from(p.digest, 'hex').toString('base64')}:`)
      .header('x-vdxp-sha256', p.digest)
      .send(p.stream);
  });

  app.get('/v1/deliveries/:id', async (req, reply) => {
    const system = await auth(req, reply);
    const { id } = req.params as { id: string };
    const { delivery, document } = await deliveryOf(ctx, system, id);
    return deliveryItem(delivery, document);
  });

  app.post('/v1/deliveries/:id/ack', async (req, reply) => {
    const system = await auth(req, reply);
    const { id } = req.params as { id: string };
    const body = (req.body ?? {}) as { result?: unknown; reason?: unknown };
    if (body.result !== 'done' && body.result !== 'fail') throw new HubError('VDXP_E_BAD_REQUEST', 'Body must be {"result": "done" | "fail", "reason"?: string}');
    if (body.reason !== undefined && typeof body.reason !== 'string') throw new HubError('VDXP_E_BAD_REQUEST', 'reason must be a string');
    const r = await ackDelivery(ctx, system, id, body.result, body.reason);
    return { deliveryId: id, state: r.delivery.state, attempts: r.delivery.attempts, changed: r.changed };
  });

  app.get('/v1/documents/:id', async (req, reply) => {
    const system = await auth(req, reply);
    return documentView(ctx, system, (req.params as { id: string }).id);
  });

  app.get('/v1/stats', async (req, reply) => {
    await auth(req, reply);
    const q = req.query as Record<string, string | undefined>;
    const day = /^\d{4}-\d{2}-\d{2}$/;
    for (const k of ['from', 'to']) if (q[k] !== undefined && !day.test(q[k])) throw new HubError('VDXP_E_BAD_REQUEST', `${k} must be yyyy-MM-dd`);
    const level = intParam(q['level'], 'level');
    return stats(ctx, {
      ...(q['from'] ? { fromDay: q['from'] } : {}), ...(q['to'] ? { toDay: q['to'] } : {}),
      ...(q['agency'] ? { agency: q['agency'] } : {}), ...(level !== undefined ? { level } : {}),
    });
  });
}
