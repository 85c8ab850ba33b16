// The HTTP face of the hub: one Fastify instance serving the native API, operations endpoints and
// the VDXP-compatible API (http/vdxp/). Packet bodies are never parsed by Fastify: handlers stream request.raw.

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { markRefusal, noteResponse } from '../activity.ts';
import type { Hub } from '../hub.ts';
import { describeError } from '../errors.ts';
import { registerConsole } from './console.ts';
import { registerNativeApi } from './native.ts';
import { registerOps } from './ops.ts';
import { Metrics } from './metrics.ts';
import { registerVdxpApi } from './vdxp/api.ts';

export interface TlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  /**
   * CA of client certificates. When given, mutual TLS is on: a client must present a certificate from this CA,
   * and its subject CN must be the id of the system whose credentials it uses (the token alone is not enough).
   */
  clientCa?: string | Buffer;
}

export interface ServerOptions {
  logger?: boolean;
  tls?: TlsOptions;
  /** The built console front end (default: packages/console/dist). */
  consoleDistDir?: string;
  /** Extra route groups (the VDXP-compatible API registers itself here). */
  plugins?: ((app: FastifyInstance, hub: Hub, metrics: Metrics) => void)[];
}

export function buildServer(hub: Hub, options: ServerOptions = {}): FastifyInstance {
  const tls = options.tls;
  const limits = hub.ctx.limits;
  // Timers (see httpIdleSecondsMax): no whole-request timer (Node's requestTimeout, 0 = off), so a large packet
  // is never cut while its bytes flow; the socket's idle timer cuts a connection silent both ways; the headers
  // must arrive within httpHeadersSecondsMax, checked every quarter of it (Node checks every 30 s by default).
  const headersMs = limits.httpHeadersSecondsMax * 1000;
  const timers = { headersTimeout: headersMs, requestTimeout: 0, connectionsCheckingInterval: Math.max(100, Math.floor(headersMs / 4)) };
  const app = Fastify({
    ...(tls
      ? { https: { ...timers, key: tls.key, cert: tls.cert, ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: true } : {}) } }
      : { http: timers }),
    logger: options.logger ?? false,
    bodyLimit: limits.jsonBodyBytesMax,
    requestTimeout: 0,
    connectionTimeout: limits.httpIdleSecondsMax * 1000,
    return503OnClosing: true,
  });
  // Connections beyond httpConnectionsMax are closed as they arrive (admission.ts says why).
  app.server.maxConnections = limits.httpConnectionsMax;
  // Packets stream through request.raw; only JSON bodies are parsed by Fastify.
  app.removeContentTypeParser(['text/plain']);
  app.addContentTypeParser('*', (_req, _payload, done) => { done(null, undefined); });

  // Long-polls would hold close() up to longPollSecondsMax: answer them now.
  app.addHook('preClose', async () => { hub.ctx.notifier.close(); });
  // No answer leaves before what it could have read is durable (Store.settled; waits only on the embedded engine).
  // A callback hook, so an answer with nothing to wait for goes out in the same turn, as before.
  app.addHook('onSend', (_req, _reply, payload, done) => {
    const wait = hub.ctx.store.settled();
    if (wait === undefined) { done(null, payload); return; }
    wait.then(() => { done(null, payload); }, (e: unknown) => { done(e instanceof Error ? e : new Error(String(e))); });
  });
  const metrics = new Metrics(hub);
  app.addHook('onResponse', async (req, reply) => {
    metrics.httpRequest(req.routeOptions.url ?? 'unknown', req.method, reply.statusCode);
    // Systems' last seen and call tallies, and the Health page's recent errors (activity.ts).
    const vdxpCode = reply.getHeader('x-vdxp-error-code');
    await noteResponse(hub.ctx, req.raw, {
      status: reply.statusCode, method: req.method, route: req.routeOptions.url ?? 'unknown',
      ...(typeof vdxpCode === 'string' ? { vdxpErrorCode: vdxpCode } : {}),
    });
  });
  app.setErrorHandler((error: unknown, req: FastifyRequest, reply: FastifyReply) => {
    // A route may have set up a packet answer (type, length, digest) before its stream failed to start.
    for (const h of ['content-length', 'repr-digest', 'x-vdxp-sha256']) reply.removeHeader(h);
    reply.type('application/json; charset=utf-8');
    const d = describeError(error);
    const fastifyCode = (error as { code?: unknown }).code;
    if (d.code === 'VDXP_E_INTERNAL' && typeof fastifyCode === 'string' && fastifyCode.startsWith('FST_')) {
      const status = (error as { statusCode?: number }).statusCode ?? 400;
      markRefusal(req.raw, 'VDXP_E_BAD_REQUEST');
      return reply.code(status).send({ error: { code: 'VDXP_E_BAD_REQUEST', message: (error as Error).message } });
    }
    if (d.status >= 500) reply.log.error({ err: error }, 'request failed');
    markRefusal(req.raw, d.code);
    return reply.code(d.status).send({ error: { code: d.code, message: d.message, ...(d.details ? { details: d.details } : {}) } });
  });
  app.setNotFoundHandler((req, reply) => { markRefusal(req.raw, 'VDXP_E_NOT_FOUND'); return reply.code(404).send({ error: { code: 'VDXP_E_NOT_FOUND', message: `No route ${req.method} ${req.url}` } }); });

  registerOps(app, hub, metrics);
  registerNativeApi(app, hub, { mutualTls: tls?.clientCa !== undefined });
  registerVdxpApi(app, hub, metrics);
  registerConsole(app, hub, { secure: tls !== undefined, ...(options.consoleDistDir !== undefined ? { distDir: options.consoleDistDir } : {}) });
  for (const plugin of options.plugins ?? []) plugin(app, hub, metrics);
  return app;
}
