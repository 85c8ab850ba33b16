// The registry calls of the VDXP API: the agency lists (streamed in pages, since a national registry has
// 111,339 rows; getAgenciesList's answer kept whole while the registry version stays), delta sync by registry
// version, and registering or deleting a unit under one's own parent.

import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { parseAgencyCode } from '@vdxp/edxml';
import { record, type HubContext } from '../../context.ts';
import { HubError } from '../../errors.ts';
import { addAgency, dissolveAgency } from '../../registry.ts';
import type { Agency, SystemRecord } from '../../store/store.ts';
import { asciiJson, JSON_TYPE, ok, vnTime } from './answer.ts';

/** Pages of the registry in (version, code) order, each mapped and filtered; the last page may be short. */
async function* registryPages<T>(ctx: HubContext, o: { afterVersion?: number; includeDeleted: boolean }, map: (a: Agency) => T | undefined): AsyncGenerator<T[]> {
  // listAgencies seeks on the (version, code) index, so a page costs its own rows only: pages can stay small.
  const limit = ctx.limits.vdxpRegistryPageRows;
  let afterVersion = o.afterVersion ?? 0;
  let afterCode: string | undefined;
  for (;;) {
    // The cursor is (version, code); without afterCode, listAgencies starts strictly after the version.
    const rows = await ctx.store.listAgencies({ afterVersion, ...(afterCode !== undefined ? { afterCode } : {}), limit, includeDeleted: o.includeDeleted });
    const out: T[] = [];
    for (const a of rows) {
      const m = map(a);
      if (m !== undefined) out.push(m);
    }
    yield out;
    const last = rows.at(-1);
    if (rows.length < limit || last === undefined) return;
    afterVersion = last.version;
    afterCode = last.code;
  }
}

/** Agencies that exist today under their own code (not merged into or dissolved from another). */
const current = (a: Agency): boolean => !a.deleted && (a.state === 'active' || a.state === 'suspended');

function formOf(code: string): ReturnType<typeof parseAgencyCode> | undefined {
  try {
    return parseAgencyCode(code);
  } catch {
    return undefined;
  }
}

function codeOfForm(a: Agency, form: 'legacy' | 'qd20'): string | undefined {
  return [a.code, ...a.otherCodes].find((c) => formOf(c)?.form === form);
}

/** The last getAgenciesList answer of a hub, whole (its pieces, never copied into one), and the registry version it was read at. */
const listAnswers = new WeakMap<HubContext, { version: number; pieces: Buffer[]; bytes: number }>();

/**
 * getAgenciesList, answered from the bytes of the last answer while the registry version is the same. Every
 * change to the registry (each putAgency/putAgencies, whoever makes it: this hub, the CLI beside it, another
 * node on PostgreSQL) raises that version in its own transaction, and the version is read from the store on
 * every call, so a kept answer is never served after a change: exact on both engines, across processes and
 * nodes. An answer is kept under the version read before its first page: one that a change reached while it
 * was read is kept under a version already gone, so never served (and not kept at all when the version read
 * after its last page differs). Kept only up to limits.vdxpAgencyListCacheBytesMax.
 *
 * A first answer is the store's narrow read (agencyListPage: the database writes each page's items as the
 * answer's JSON, in one pass over the (version, code) index), one buffer per page that is both what the socket
 * is sent and what is kept: no agency objects, no JSON.stringify of them, no second encoding for the cache.
 */
export async function sendAgenciesList(ctx: HubContext, reply: FastifyReply): Promise<FastifyReply> {
  const version = await ctx.store.registryVersion();
  const kept = listAnswers.get(ctx);
  if (kept?.version === version) {
    return reply.code(200).type(JSON_TYPE).header('content-length', kept.bytes).send(Readable.from(kept.pieces, { objectMode: false }));
  }
  const pages = agencyListPieces(ctx);
  // The first page is read before anything is sent, so a failure there is still a proper FAIL answer; a failure
  // later cuts the response off (invalid JSON), which a client cannot mistake for a complete list.
  const first = await pages.next();
  async function* body(): AsyncGenerator<Buffer> {
    const pieces: Buffer[] = [];
    let bytes = 0;
    let keep = true;
    const out = (b: Buffer): Buffer => {
      if (!keep) return b;
      bytes += b.length;
      if (bytes > ctx.limits.vdxpAgencyListCacheBytesMax) { keep = false; pieces.length = 0; } else pieces.push(b);
      return b;
    };
    yield out(Buffer.from(`${asciiJson(ok()).slice(0, -1)},"data":[`, 'latin1'));
    for (let page = first; page.done !== true; page = await pages.next()) yield out(page.value);
    yield out(Buffer.from(']}', 'latin1'));
    // The answer is sent whole already: a failed re-read only means nothing is kept.
    const now = await ctx.store.registryVersion().catch(() => undefined);
    if (keep && now === version) listAnswers.set(ctx, { version, pieces, bytes });
  }
  return reply.code(200).type(JSON_TYPE).send(Readable.from(body(), { objectMode: false }));
}

const COMMA = Buffer.from(',');

/**
 * getAgenciesList's items, `{id, pid, code, name, mail, oldCode}`, as the answer's bytes: each page of the
 * store's narrow read is already that text (agencyListPage), so it is passed on as it came, a comma between
 * pages. The hub keys agencies by code and has no numeric ids, so `id` is the code and `pid` the parent's code;
 * `oldCode` is another legacy code the agency had.
 */
async function* agencyListPieces(ctx: HubContext): AsyncGenerator<Buffer> {
  const limit = ctx.limits.vdxpAgencyListPageRows;
  let afterVersion = 0;
  let afterCode: string | undefined;
  let separator = false;
  for (;;) {
    const page = await ctx.store.agencyListPage({ afterVersion, ...(afterCode !== undefined ? { afterCode } : {}), limit });
    if (page.rows > 0) {
      if (separator) yield COMMA;
      yield Buffer.from(page.json.buffer, page.json.byteOffset, page.json.byteLength);
      separator = true;
    }
    if (page.rows < limit || page.last === undefined) return;
    afterVersion = page.last.version;
    afterCode = page.last.code;
  }
}

/** getAgenciesListQD20: `{id, code, name, mail, code102}`, the QĐ20 code where the agency has one. */
export function agenciesQd20Pages(ctx: HubContext, level: number | undefined): AsyncGenerator<unknown[]> {
  return registryPages(ctx, { includeDeleted: false }, (a) => current(a) && (level === undefined || a.level === level) ? {
    id: a.code, code: codeOfForm(a, 'qd20') ?? a.code, name: a.name, mail: a.email ?? '', code102: codeOfForm(a, 'legacy') ?? '',
  } : undefined);
}

/**
 * getSynchronizeUnit: every row changed after `afterVersion` (all rows without it), deleted ones included, in
 * version order. `deleted` is true for a removed row and for an agency merged or dissolved: it is no longer a
 * unit of its own, and documents addressed to it go to its successor or are refused. A client keeps the
 * largest `version` it saw and sends it back as `afterVersion` to get only what changed since.
 */
export function synchronizePages(ctx: HubContext, afterVersion: number | undefined): AsyncGenerator<unknown[]> {
  return registryPages(ctx, { includeDeleted: true, ...(afterVersion !== undefined ? { afterVersion } : {}) }, (a) => {
    const f = formOf(a.code);
    const centerCode = f?.form === 'legacy' ? `000.00.00.${f.level1}` : f?.form === 'qd20' ? f.level1 : '';
    return {
      id: a.code, pid: a.parent ?? '', code: a.code, name: a.name, mail: a.email ?? '', centerCode, version: a.version,
      deleted: !current(a), modifyDate: vnTime(a.updatedAt), isAgency: f?.form !== 'enterprise',
    };
  });
}

/** Reads a JSON body up to `max` bytes, refusing more (the API's own parser is off: packets stream). */
export async function readJsonBody(req: IncomingMessage, max: number): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw new HubError('VDXP_E_BAD_REQUEST', `Than JSON qua ${max} byte (the JSON body is larger than limits.jsonBodyBytesMax)`);
    parts.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8')) as unknown;
  } catch (e) {
    throw new HubError('VDXP_E_BAD_REQUEST', 'Than yeu cau khong phai JSON (the body is not JSON)', { cause: e });
  }
}

function field(body: Record<string, unknown>, name: string, required: boolean): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw new HubError('VDXP_E_BAD_REQUEST', `registerAgency: thieu truong ${name} (field ${name} is required)`);
    return undefined;
  }
  if (typeof v !== 'string' && typeof v !== 'number') throw new HubError('VDXP_E_BAD_REQUEST', `registerAgency: ${name} phai la chuoi (must be a string)`);
  return String(v).trim();
}

async function mustActForParent(ctx: HubContext, system: SystemRecord, parent: string | null | undefined, what: string): Promise<void> {
  if (parent && (await ctx.store.systemActsFor(system.id, parent))) return;
  throw new HubError('VDXP_E_VDXP_AGENCY_FORBIDDEN', `He thong ${system.id} khong duoc ${what}: chi duoc dang ky/xoa don vi truc thuoc don vi ma he thong dai dien `
    + `(a system may register or delete only units under an agency it acts for${parent ? `; it does not act for ${parent}` : ''})`, { details: { systemId: system.id, parent: parent ?? null } });
}

/**
 * registerAgency `{id, pcode, code, name, mail, mobile, fax}`: a system adds a unit under a parent it acts
 * for (a SaaS system registering a new commune), and may then send and receive for it. Registering the same
 * code under the same parent again only makes sure of that right (a retry after a lost answer succeeds);
 * `id` (the old axis' numeric id) and `fax` have no place in the registry and are ignored.
 */
export async function registerAgency(ctx: HubContext, system: SystemRecord, body: unknown): Promise<Agency> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HubError('VDXP_E_BAD_REQUEST', 'registerAgency: than phai la doi tuong JSON (the body must be a JSON object)');
  const b = body as Record<string, unknown>;
  const code = field(b, 'code', true) as string;
  const name = field(b, 'name', true) as string;
  const pcode = field(b, 'pcode', true) as string;
  const parent = await ctx.store.findAgency(pcode);
  if (!parent) throw new HubError('VDXP_E_AGENCY_UNKNOWN', `Don vi cap tren ${pcode} khong co trong danh ba (the parent agency is not in the registry)`);
  await mustActForParent(ctx, system, parent.code, `dang ky ${code}`);
  const existing = await ctx.store.findAgency(code);
  if (existing && existing.parent !== parent.code) {
    throw new HubError('VDXP_E_AGENCY_EXISTS', `Ma ${code} da ton tai (exists already, under ${existing.parent ?? 'no parent'})`);
  }
  // A deleted (or merged) unit is not brought back by a call: an old registerAgency could otherwise undo a
  // deleteAgency. The operator restores it, knowing why it went.
  if (existing && !current(existing)) {
    throw new HubError('VDXP_E_AGENCY_EXISTS', `Ma ${code} da bi xoa hoac sap nhap (was ${existing.state}${existing.successor ? ` into ${existing.successor}` : ''}); `
      + 'lien he quan tri truc de khoi phuc (ask the hub\'s operator to restore it)', { details: { code, state: existing.state } });
  }
  const mail = field(b, 'mail', false);
  const mobile = field(b, 'mobile', false);
  const agency = existing ?? await addAgency(ctx, { code, name, parent: parent.code, ...(mail ? { email: mail } : {}), ...(mobile ? { phone: mobile } : {}) }, system.id);
  await ctx.store.transaction(async (tx) => {
    const mine = await tx.systemAgencies(system.id);
    if (mine.includes(agency.code)) return;
    if (mine.length >= ctx.limits.systemAgenciesMax) {
      throw new HubError('VDXP_E_BAD_REQUEST', `He thong da dai dien ${mine.length} don vi (a system may act for at most limits.systemAgenciesMax agencies)`);
    }
    await tx.setSystemAgencies(system.id, [...mine, agency.code]);
    await record(ctx, tx, { type: 'system:agency-added', actor: system.id, data: { id: system.id, agency: agency.code, via: 'vdxp registerAgency' } });
  });
  return agency;
}

/**
 * deleteAgency `AgencyCode`: a system removes a unit under a parent it acts for. The row is kept, dissolved
 * without a successor (the registry keeps history; documents to it are refused from now on, and
 * getSynchronizeUnit reports it deleted). Deleting an agency that is no longer a unit of its own (deleted,
 * dissolved or merged) succeeds and changes nothing: a replayed delete must not turn an operator's merger,
 * whose documents go to the successor, into a dissolution that refuses them.
 */
export async function deleteAgency(ctx: HubContext, system: SystemRecord, code: string): Promise<void> {
  const agency = await ctx.store.findAgency(code);
  if (!agency) throw new HubError('VDXP_E_AGENCY_UNKNOWN', `Ma ${code} khong co trong danh ba (no such agency in the registry)`);
  await mustActForParent(ctx, system, agency.parent, `xoa ${code}`);
  if (!current(agency)) return;
  await dissolveAgency(ctx, agency.code, null, system.id);
}
