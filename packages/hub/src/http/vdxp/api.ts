// The VDXP-compatible API: every call of the axis' wire protocol (docs/vdxp-compat.md) at the root paths SDKVXP
// uses, authenticated by the XroadVnpt-* HMAC scheme, on the same store and rules as the native API, always
// answering the protocol's JSON (never an HTML page, also for unknown calls and malformed headers).

import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HubContext } from '../../context.ts';
import { fetchPacket } from '../../delivery.ts';
import { describeError, HubError } from '../../errors.ts';
import { admitCall } from '../admission.ts';
import type { Hub } from '../../hub.ts';
import type { Metrics } from '../metrics.ts';
import { agenciesQd20Pages, sendAgenciesList, deleteAgency, readJsonBody, registerAgency, synchronizePages } from './agencies.ts';
import { asciiJson, fail, JSON_TYPE, ok, sendAnswer, sendList, toAscii, type Answer } from './answer.ts';
import { markCaller } from '../../activity.ts';
import { authenticate, type VdxpCaller } from './auth.ts';
import { base64Answer, dayParam, opened, receivedPages, sendEdoc, sentPages, updateStatus, type Kind } from './edoc.ts';
import { parseHashFile } from './hash-file.ts';
import { ReplayCache, type ReplayClaims } from './replay-cache.ts';

type Handler = (req: FastifyRequest, reply: FastifyReply, caller: VdxpCaller, ctx: HubContext) => Promise<Answer | FastifyReply>;

interface Call {
  /** GET only where a call reads: the state-changing calls are POST, as the SDK sends them. */
  methods: ('GET' | 'POST')[];
  /** Needs a fresh signature used for nothing else, also from a lenient system (auth.ts). */
  singleUse?: true;
  handle: Handler;
}

function need(c: VdxpCaller, key: string): string {
  const v = c.input(key);
  if (v === undefined || v.trim() === '') throw new HubError('VDXP_E_BAD_REQUEST', `Thieu header XroadVnpt-${key} (the call needs it)`);
  return v.trim();
}

/** `servicetype` is eDoc when given (the only service of this protocol). */
function checkServiceType(c: VdxpCaller): void {
  const v = c.input('servicetype');
  if (v !== undefined && v.trim().toLowerCase() !== 'edoc') throw new HubError('VDXP_E_BAD_REQUEST', `servicetype "${v}" phai la eDoc (must be eDoc)`);
}

/** `messagetype` edoc or status; absent means both kinds (a lenient reading: the SDK always sends it). */
function messageType(c: VdxpCaller): Kind | undefined {
  const v = c.input('messagetype')?.trim().toLowerCase();
  if (v === undefined || v === '') return undefined;
  if (v === 'edoc' || v === 'status') return v;
  throw new HubError('VDXP_E_BAD_REQUEST', `messagetype "${v}" phai la edoc hoac status (must be edoc or status)`);
}

function wholeNumber(c: VdxpCaller, key: string): number | undefined {
  const v = c.input(key)?.trim();
  if (v === undefined || v === '') return undefined;
  if (!/^\d{1,15}$/.test(v)) throw new HubError('VDXP_E_BAD_REQUEST', `XroadVnpt-${key} "${v}" phai la so nguyen >= 0 (must be a whole number)`);
  return Number(v);
}

const CALLS: Record<string, Call> = {
  sendEdoc: {
    methods: ['POST'],
    async handle(req, _reply, c, ctx) {
      const from = need(c, 'from');
      checkServiceType(c);
      const kind = messageType(c);
      const hashFile = parseHashFile(need(c, 'hash-file'));
      const r = await sendEdoc(ctx, c.system, req.raw, { from, kind, hashFile });
      return ok({
        DocId: r.document.id,
        // Not in the protocol; a client that does not know the field ignores it. A redirected recipient is news.
        ...(r.warnings.length > 0 ? { warnings: r.warnings.map((w) => ({ code: w.code, message: toAscii(w.message) })) } : {}),
      });
    },
  },
  getReceivedEdocList: {
    methods: ['GET', 'POST'],
    async handle(_req, reply, c, ctx) {
      checkServiceType(c);
      const kind = messageType(c);
      const fromDay = dayParam(c.input('fromDate'), 'fromDate');
      const toDay = dayParam(c.input('toDate'), 'toDate');
      return sendList(reply, receivedPages(ctx, c.system, kind, fromDay, toDay));
    },
  },
  getEdoc: {
    methods: ['GET', 'POST'],
    async handle(_req, reply, c, ctx) {
      // filePath is the client's own folder: the SDK writes the packet there; nothing for the hub to do.
      const p = await fetchPacket(ctx, c.system, need(c, 'docId'));
      const chunks = await opened(p.stream);
      const head = `${asciiJson(ok()).slice(0, -1)},"data":"`;
      const tail = '"}';
      return reply.code(200).type(JSON_TYPE).header('content-length', head.length + 4 * Math.ceil(p.bytes / 3) + tail.length)
        .send(Readable.from(base64Answer(head, chunks, tail), { objectMode: false }));
    },
  },
  downloadEdoc: {
    methods: ['GET', 'POST'],
    async handle(_req, reply, c, ctx) {
      const docId = need(c, 'docId');
      const p = await fetchPacket(ctx, c.system, docId);
      const chunks = await opened(p.stream);
      return reply.code(200).type('application/octet-stream').header('content-length', p.bytes)
        .header('content-disposition', `attachment; filename="${p.delivery.id}.edxml"`).send(Readable.from(chunks, { objectMode: false }));
    },
  },
  updateStatus: {
    methods: ['POST'],
    async handle(_req, _reply, c, ctx) {
      // Header names are case-insensitive, so docId and docid are one input.
      await updateStatus(ctx, c.system, need(c, 'docId'), need(c, 'status'));
      return ok();
    },
  },
  getSentEdocList: {
    methods: ['GET', 'POST'],
    async handle(_req, reply, c, ctx) {
      checkServiceType(c);
      const docId = c.input('docId')?.trim();
      return sendList(reply, sentPages(ctx, c.system, messageType(c), docId === '' ? undefined : docId));
    },
  },
  countReceiveEdoc: {
    methods: ['GET', 'POST'],
    async handle(_req, _reply, c, ctx) {
      return ok({ count: await ctx.store.countInbox(c.system.id, 'edoc') });
    },
  },
  countReceiveStatus: {
    methods: ['GET', 'POST'],
    async handle(_req, _reply, c, ctx) {
      return ok({ count: await ctx.store.countInbox(c.system.id, 'status') });
    },
  },
  getAgenciesList: {
    methods: ['GET', 'POST'],
    async handle(_req, reply, _c, ctx) {
      return sendAgenciesList(ctx, reply);
    },
  },
  getAgenciesListQD20: {
    methods: ['GET', 'POST'],
    async handle(_req, reply, c, ctx) {
      return sendList(reply, agenciesQd20Pages(ctx, wholeNumber(c, 'level')));
    },
  },
  getSynchronizeUnit: {
    methods: ['GET', 'POST'],
    async handle(_req, reply, c, ctx) {
      // Not XroadVnpt-version: the SDK sends that (unsigned) with its protocol version on every call.
      return sendList(reply, synchronizePages(ctx, wholeNumber(c, 'afterVersion')));
    },
  },
  registerAgency: {
    methods: ['POST'],
    // Its JSON body is in no signed header, and it signs no input of its own: any captured signature of the
    // system (countReceiveEdoc signs the same JSON) would otherwise register any unit under its parents.
    singleUse: true,
    async handle(req, _reply, c, ctx) {
      await registerAgency(ctx, c.system, await readJsonBody(req.raw, ctx.limits.jsonBodyBytesMax));
      return ok();
    },
  },
  deleteAgency: {
    methods: ['POST'],
    async handle(_req, _reply, c, ctx) {
      await deleteAgency(ctx, c.system, need(c, 'AgencyCode'));
      return ok();
    },
  },
};

/** The calls, for the API description and tests. */
export const VDXP_CALLS: readonly string[] = Object.keys(CALLS);

/**
 * One replay cache per hub, shared by every server built on it. It refuses reuse for strict systems and for
 * single-use calls; a lenient system's fresh-looking signatures are only noted there (auth.ts).
 */
const replayCaches = new WeakMap<HubContext, ReplayClaims>();

function replayCacheOf(ctx: HubContext): ReplayClaims {
  if (ctx.replayClaims !== undefined) return ctx.replayClaims;
  let c = replayCaches.get(ctx);
  if (c === undefined) {
    c = new ReplayCache(ctx.limits.vdxpReplayCacheMax);
    replayCaches.set(ctx, c);
  }
  return c;
}

/**
 * Registers the API (a ServerOptions plugin). The routes live in their own Fastify context, where bodies are
 * never parsed by Fastify (sendEdoc streams its packet; registerAgency reads its bounded JSON) and every error
 * becomes a FAIL answer. A FAIL is sent with HTTP 200: SDKVXP and its .NET twin read `status`/`ErrorCode`
 * from the JSON, and .NET's WebClient throws on a 4xx/5xx before the body can be read. downloadEdoc, whose
 * success is raw bytes, uses the error's HTTP status, so a client can tell a FAIL from a packet.
 */
export function registerVdxpApi(app: FastifyInstance, hub: Hub, metrics: Metrics): void {
  const ctx = hub.ctx;
  const replay = replayCacheOf(ctx);
  void app.register(async (api) => {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', (_req, _payload, done) => { done(null, undefined); });

    api.setErrorHandler((error: unknown, req: FastifyRequest, reply: FastifyReply) => {
      let d: { code: string; status: number; message: string } = describeError(error);
      const fastifyCode = (error as { code?: unknown }).code;
      if (d.code === 'VDXP_E_INTERNAL' && typeof fastifyCode === 'string' && fastifyCode.startsWith('FST_')) {
        d = { code: 'VDXP_E_BAD_REQUEST', status: (error as { statusCode?: number }).statusCode ?? 400, message: (error as Error).message };
      }
      if (d.status >= 500) reply.log.error({ err: error }, 'VDXP API call failed');
      return sendAnswer(reply.header('x-vdxp-error-code', d.code), fail(d.code, d.message), req.routeOptions.url === '/downloadEdoc' ? d.status : 200);
    });
    api.addHook('onResponse', async (req, reply) => {
      const call = req.routeOptions.url?.slice(1) ?? 'unknown';
      const code = reply.getHeader('x-vdxp-error-code');
      metrics.inc(`vdxp_compat_answers_total{call="${call in CALLS ? call : 'unknown'}",status="${code === undefined ? 'OK' : 'FAIL'}"}`);
    });

    for (const [name, call] of Object.entries(CALLS)) {
      api.route({
        method: call.methods,
        url: `/${name}`,
        handler: async (req, reply) => {
          const caller = await authenticate(ctx, req.headers, replay, call.singleUse ? { singleUse: true } : {});
          markCaller(req.raw, caller.system.id, 'vdxp');
          admitCall(ctx, reply.raw, caller.system.id);
          const out = await call.handle(req, reply, caller, ctx);
          return 'ErrorCode' in out ? sendAnswer(reply, out) : out;
        },
      });
    }
    // Any other one-segment path is an unknown call of this API (the native API lives under /v1/).
    api.all('/:call', async (req) => {
      const name = (req.params as { call: string }).call;
      const call = CALLS[name];
      throw new HubError('VDXP_E_NOT_FOUND', call
        ? `Lenh ${name} chi nhan ${call.methods.join('/')} (${name} takes ${call.methods.join(' or ')}, not ${req.method})`
        : `Khong co lenh ${name} (no such call; the calls are ${VDXP_CALLS.join(', ')})`);
    });
  });
}
