// The console's API under /console/api/ (cookie session + CSRF token, apart from the native API's bearer
// tokens) and the built front end (packages/console/dist) under /console/. Scope and role are checked by
// console.ts and here, in the API, never only in the pages.

import { timingSafeEqual } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  agencyPage, csvText, documentPage, effectiveScope, monthlyReport, overdueList, overdueTable, overview, searchAgencies, searchDocuments, systemsPage, vnDayStart,
} from '../console.ts';
import { recentErrors } from '../activity.ts';
import { changeCalendar, statutoryHolidays } from '../calendar.ts';
import { vnDay } from '../clock.ts';
import { HubError } from '../errors.ts';
import type { Hub } from '../hub.ts';
import { addAgency, addSystem, dissolveAgency, mergeAgency, renameAgency, rotateSystemCredentials } from '../registry.ts';
import { inScope } from '../scope.ts';
import type { SessionRecord, UserRole } from '../store/store.ts';
import { login, logout, sessionOf, type UserView } from '../users.ts';
import { xlsxBytes } from '../xlsx.ts';

export const SESSION_COOKIE = 'vdxp_session';
/** Where `npm start`/`npm test` build the front end (scripts/dev.sh). */
export const CONSOLE_DIST_DIR = fileURLToPath(new URL('../../../console/dist/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2',
};

// No CDN, no inline script: the pages load only what the hub serves.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
  + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

function cookie(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

function text(v: unknown, name: string, max = 256): string | undefined {
  if (v === undefined || v === '') return undefined;
  if (typeof v !== 'string' || v.length > max) throw new HubError('VDXP_E_BAD_REQUEST', `${name} must be text of at most ${max} characters`);
  return v;
}

function int(v: unknown, name: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new HubError('VDXP_E_BAD_REQUEST', `${name} must be a whole number ≥ 0`);
  return n;
}

export interface ConsoleOptions {
  /** Secure cookies (the hub serves TLS). */
  secure: boolean;
  /** The built front end; CONSOLE_DIST_DIR by default. */
  distDir?: string;
}

export function registerConsole(app: FastifyInstance, hub: Hub, o: ConsoleOptions): void {
  const ctx = hub.ctx;
  const l = ctx.limits;
  const setCookie = (reply: FastifyReply, value: string, maxAgeSeconds: number): void => {
    reply.header('set-cookie', `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/console; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${o.secure ? '; Secure' : ''}`);
  };

  /** The caller's session; state-changing calls must also echo its CSRF token. */
  const auth = async (req: FastifyRequest, roles?: readonly UserRole[]): Promise<{ user: UserView; session: SessionRecord }> => {
    const s = await sessionOf(ctx, cookie(req, SESSION_COOKIE));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const sent = Buffer.from(String(req.headers['x-csrf-token'] ?? ''));
      const want = Buffer.from(s.session.csrf);
      if (sent.length !== want.length || !timingSafeEqual(sent, want)) {
        throw new HubError('VDXP_E_CONSOLE_CSRF', 'Thiếu hoặc sai mã chống giả mạo (x-csrf-token) / missing or wrong x-csrf-token');
      }
    }
    if (roles && !roles.includes(s.user.role)) {
      throw new HubError('VDXP_E_CONSOLE_ROLE', `Vai trò ${s.user.role} không được làm việc này / the ${s.user.role} role may not do this`);
    }
    return s;
  };
  const page = (v: unknown): number => Math.min(int(v, 'limit') ?? 100, l.consolePageRowsMax);

  app.register(async (api) => {
    api.addHook('onSend', async (_req, reply) => { reply.header('cache-control', 'no-store'); });

    api.post('/login', async (req, reply) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const username = text(body['username'], 'username', 64) ?? '';
      const password = typeof body['password'] === 'string' ? body['password'] : '';
      const r = await login(ctx, { username, password, address: req.ip });
      setCookie(reply, r.token, l.consoleSessionSeconds);
      return { user: r.user, csrf: r.csrf, expiresAt: new Date(r.expiresAt).toISOString() };
    });
    api.post('/logout', async (req, reply) => {
      const { session } = await auth(req);
      await logout(ctx, session);
      setCookie(reply, '', 0);
      return { ok: true };
    });
    // Asked by every page load: "not logged in" is an answer here (user null), not an error.
    api.get('/me', async (req) => {
      let s;
      try { s = await auth(req); } catch (e) {
        if (e instanceof HubError && e.code === 'VDXP_E_CONSOLE_AUTH') return { user: null };
        throw e;
      }
      const me = { user: s.user, csrf: s.session.csrf, expiresAt: new Date(s.session.expiresAt).toISOString() };
      // The page's first call may ask for the overview with it (`?overview=1[&scope=…]`): one round trip, not two,
      // on the cold load. A refusal leaves it out; the page then asks /overview itself and shows why.
      const q = req.query as Record<string, unknown>;
      if (q['overview'] !== '1') return me;
      try {
        return { ...me, overview: await overview(ctx, s.user, text(q['scope'], 'scope')) };
      } catch (e) {
        if (e instanceof HubError) return me;
        throw e;
      }
    });

    api.get('/overview', async (req) => {
      const { user } = await auth(req);
      return overview(ctx, user, text((req.query as Record<string, unknown>)['scope'], 'scope'));
    });

    api.get('/report', async (req) => {
      const { user } = await auth(req);
      const q = req.query as Record<string, unknown>;
      return monthlyReport(ctx, user, text(q['month'], 'month', 7), text(q['scope'], 'scope', 64));
    });

    api.get('/overdue', async (req, reply) => {
      const { user } = await auth(req);
      const q = req.query as Record<string, unknown>;
      const format = text(q['format'], 'format') ?? 'json';
      if (!['json', 'csv', 'xlsx'].includes(format)) throw new HubError('VDXP_E_BAD_REQUEST', 'format must be json, csv or xlsx');
      const scope = text(q['scope'], 'scope');
      const from = text(q['from'], 'from');
      const to = text(q['to'], 'to');
      const list = await overdueList(ctx, user, {
        limit: format === 'json' ? page(q['limit']) : l.consoleExportRowsMax,
        ...(scope !== undefined ? { scope } : {}), ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}),
      });
      if (format === 'json') return list;
      const name = `cham-xu-ly-${list.now.slice(0, 10)}`;
      const rows = overdueTable(list.items);
      reply.header('content-disposition', `attachment; filename="${name}.${format}"`);
      if (format === 'csv') return reply.type('text/csv; charset=utf-8').send(csvText(rows));
      return reply.type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet').send(xlsxBytes('Chậm xử lý', rows));
    });

    api.get('/documents', async (req) => {
      const { user } = await auth(req);
      const q = req.query as Record<string, unknown>;
      const s = { q: text(q['q'], 'q'), agency: text(q['agency'], 'agency', 64), from: text(q['from'], 'from'), to: text(q['to'], 'to'), before: int(q['before'], 'before') };
      return searchDocuments(ctx, user, {
        limit: page(q['limit']), ...Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)),
      });
    });
    api.get('/documents/:id', async (req) => {
      const { user } = await auth(req);
      return documentPage(ctx, user, (req.params as { id: string }).id);
    });

    api.get('/agencies', async (req) => {
      const { user } = await auth(req);
      const q = req.query as Record<string, unknown>;
      const s = { q: text(q['q'], 'q'), after: text(q['after'], 'after', 64), scope: text(q['scope'], 'scope', 64) };
      return searchAgencies(ctx, user, { limit: page(q['limit']), ...Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined)) });
    });
    api.get('/agencies/:code', async (req) => {
      const { user } = await auth(req);
      return agencyPage(ctx, user, (req.params as { code: string }).code);
    });
    // Registry changes: operators, within their scope (both the agency and its successor), through registry.ts as the CLI.
    const effectiveAt = (v: unknown): { effectiveAt?: number } => {
      const at = vnDayStart(text(v, 'at', 10), 'at');
      return at === undefined ? {} : { effectiveAt: at };
    };
    api.post('/agencies', async (req) => {
      const { user } = await auth(req, ['operator']);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const code = text(body['code'], 'code', 64);
      const name = text(body['name'], 'name', 500);
      if (code === undefined || name === undefined) throw new HubError('VDXP_E_BAD_REQUEST', 'code and name are required');
      effectiveScope(user, code);
      return { agency: await addAgency(ctx, { code, name }, `console:${user.username}`) };
    });
    api.post('/agencies/:code/rename', async (req) => {
      const { user } = await auth(req, ['operator']);
      const code = (req.params as { code: string }).code;
      const name = text(((req.body ?? {}) as Record<string, unknown>)['name'], 'name', 500);
      if (name === undefined) throw new HubError('VDXP_E_BAD_REQUEST', 'name (the new name) is required');
      effectiveScope(user, code);
      return { agency: await renameAgency(ctx, code, name, `console:${user.username}`) };
    });
    api.post('/agencies/:code/merge', async (req) => {
      const { user } = await auth(req, ['operator']);
      const code = (req.params as { code: string }).code;
      const body = (req.body ?? {}) as Record<string, unknown>;
      const into = text(body['into'], 'into', 64);
      if (into === undefined) throw new HubError('VDXP_E_BAD_REQUEST', 'into (the successor\'s code) is required');
      effectiveScope(user, code);
      effectiveScope(user, into);
      return { agency: await mergeAgency(ctx, code, into, `console:${user.username}`, effectiveAt(body['at'])) };
    });
    api.post('/agencies/:code/dissolve', async (req) => {
      const { user } = await auth(req, ['operator']);
      const code = (req.params as { code: string }).code;
      const body = (req.body ?? {}) as Record<string, unknown>;
      const successor = text(body['successor'], 'successor', 64) ?? null;
      effectiveScope(user, code);
      if (successor !== null) effectiveScope(user, successor);
      return { agency: await dissolveAgency(ctx, code, successor, `console:${user.username}`, effectiveAt(body['at'])) };
    });
    // The calendar is the country's: everyone reads it, a nationwide operator changes it.
    api.get('/calendar', async (req) => {
      await auth(req);
      const year = int((req.query as Record<string, unknown>)['year'], 'year') ?? Number(vnDay(ctx.clock.now()).slice(0, 4));
      if (year < 1900 || year > 2199) throw new HubError('VDXP_E_BAD_REQUEST', 'year must be from 1900 to 2199');
      return { year, holidays: statutoryHolidays(year), entries: await ctx.store.calendarDays(`${year}-01-01`, `${year}-12-31`) };
    });
    api.post('/calendar', async (req) => {
      const { user } = await auth(req, ['operator']);
      if (user.scope !== null) throw new HubError('VDXP_E_CONSOLE_SCOPE', 'Lịch làm việc là của cả nước: cần tài khoản vận hành toàn quốc / the calendar is national: a nationwide operator changes it');
      const body = (req.body ?? {}) as Record<string, unknown>;
      const kind = body['kind'] === null || body['kind'] === 'remove' ? null : body['kind'];
      return changeCalendar(ctx, text(body['day'], 'day', 10) ?? '', kind as 'off' | 'working' | null, text(body['note'], 'note', 200) ?? null, `console:${user.username}`);
    });
    // Systems and health: operators and auditors. Systems a scoped account sees are those acting for an agency in its scope.
    api.get('/systems', async (req) => {
      const { user } = await auth(req, ['operator', 'auditor']);
      return systemsPage(ctx, user);
    });
    // A new system (vdxp system add's code path): operators, for agencies within their scope; credentials shown once.
    api.post('/systems', async (req) => {
      const { user } = await auth(req, ['operator']);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const id = text(body['id'], 'id', 64);
      const name = text(body['name'], 'name', 200);
      const raw = body['agencies'];
      if (id === undefined) throw new HubError('VDXP_E_BAD_REQUEST', 'id (the system\'s id) is required');
      if (!Array.isArray(raw) || raw.length === 0 || raw.length > l.systemAgenciesMax) {
        throw new HubError('VDXP_E_BAD_REQUEST', `agencies must list from 1 to ${l.systemAgenciesMax} agency codes`);
      }
      const agencies = raw.map((a, i) => text(a, `agencies[${i}]`, 64) ?? '');
      // The code given and the registry code it stands for (addSystem stores the latter) must both be in scope.
      for (const a of agencies) {
        effectiveScope(user, a);
        const found = await ctx.store.findAgency(a);
        if (found) effectiveScope(user, found.code);
      }
      return addSystem(ctx, { id, ...(name !== undefined ? { name } : {}), agencies }, `console:${user.username}`);
    });
    // New credentials are shown in this answer only; the hub keeps the token's hash and the sealed secret.
    api.post('/systems/:id/rotate', async (req) => {
      const { user } = await auth(req, ['operator']);
      const id = (req.params as { id: string }).id;
      const agencies = await ctx.store.systemAgencies(id);
      // A system acting for no agency (or none at all) is within no province: only a nationwide operator may touch it.
      if (agencies.length === 0 && user.scope !== null) {
        throw new HubError('VDXP_E_CONSOLE_SCOPE', `Hệ thống ${id} không phục vụ cơ quan nào trong phạm vi của tài khoản / system ${id} serves no agency within the account's scope`);
      }
      for (const a of agencies) effectiveScope(user, a);
      return rotateSystemCredentials(ctx, id, `console:${user.username}`);
    });
    api.get('/health', async (req) => {
      const { user } = await auth(req, ['operator', 'auditor']);
      const { inFlight, overdue } = await ctx.store.pendingCounts(null, ctx.clock.now());
      // A scoped account sees the refusals of the systems it sees (those serving an agency in its scope) only.
      let errors = recentErrors(ctx);
      if (user.scope !== null) {
        const visible = new Set((await systemsPage(ctx, user)).items.map((x) => x.id));
        errors = errors.filter((e) => e.systemId !== null && visible.has(e.systemId));
      }
      // Disk free: the embedded engine's data folder (packets and database live there); PostgreSQL's disk is the database server's.
      let disk: { freeBytes: number; totalBytes: number } | null = null;
      if (hub.dataDir !== null) {
        const f = await statfs(hub.dataDir);
        disk = { freeBytes: f.bavail * f.bsize, totalBytes: f.blocks * f.bsize };
      }
      return {
        engine: ctx.store.engine, states: await ctx.store.deliveryStateCounts(), inFlight, overdueNow: overdue,
        registryVersion: await ctx.store.registryVersion(), agencies: await ctx.store.countAgencies(),
        storage: await ctx.store.storageSize(), disk,
        recentErrors: errors, recentErrorsMax: l.recentErrorsMax,
      };
    });
    api.get('/scope-check', async (req) => {
      const { user } = await auth(req);
      const code = text((req.query as Record<string, unknown>)['code'], 'code', 64) ?? '';
      return { code, inScope: inScope(user.scope, code) };
    });
  }, { prefix: '/console/api' });

  // The front end: hashed assets cached for good, index.html for every page path (the router is client-side).
  const dist = o.distDir ?? CONSOLE_DIST_DIR;
  const serveFile = (reply: FastifyReply, rel: string): FastifyReply => {
    const path = normalize(join(dist, rel));
    if (!path.startsWith(normalize(dist + sep)) || !existsSync(path) || !statSync(path).isFile()) {
      return serveIndex(reply);
    }
    reply.header('cache-control', rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
    reply.header('x-content-type-options', 'nosniff');
    return reply.type(CONTENT_TYPES[extname(path)] ?? 'application/octet-stream').send(readFileSync(path));
  };
  const serveIndex = (reply: FastifyReply): FastifyReply => {
    const index = join(dist, 'index.html');
    reply.header('content-security-policy', CSP).header('x-frame-options', 'DENY').header('referrer-policy', 'no-referrer');
    if (!existsSync(index)) {
      return reply.code(503).type('text/html; charset=utf-8').send('<!doctype html><meta charset="utf-8"><title>vdxp</title>'
        + '<p>Giao diện chưa được dựng: chạy <code>npm start</code> (scripts/dev.sh dựng nó). / The console is not built: run <code>npm start</code>.</p>');
    }
    return reply.header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(readFileSync(index));
  };
  app.get('/console', async (_req, reply) => reply.redirect('/console/'));
  app.get('/console/*', async (req, reply) => {
    const rel = (req.params as { '*': string })['*'];
    if (rel === '' || !rel.includes('.')) return serveIndex(reply);
    return serveFile(reply, rel);
  });
}
