// The registry of agencies (with history: merged and dissolved agencies keep routing to their successor)
// and of connected systems with their credentials and the agencies they act for.

import { parseAgencyCode } from '@vdxp/edxml';
import { record, type HubContext } from './context.ts';
import { HubError } from './errors.ts';
import { hashToken } from './secrets.ts';
import type { Agency, AgencyInput, SystemRecord } from './store/store.ts';

export interface AgencyDraft {
  code: string;
  name: string;
  parent?: string | null;
  level?: number | null;
  otherCodes?: string[];
  email?: string | null;
  phone?: string | null;
}

export interface Credentials {
  id: string;
  token: string;
  secret: string;
}

function draftToInput(d: AgencyDraft): AgencyInput {
  if (!d.code || /\s/.test(d.code) || d.code.length > 64) throw new HubError('VDXP_E_BAD_REQUEST', `Agency code "${d.code}" is empty, too long or has spaces`);
  if (!d.name) throw new HubError('VDXP_E_BAD_REQUEST', `Agency ${d.code} needs a name`);
  const parsed = parseAgencyCode(d.code);
  return {
    code: d.code, name: d.name,
    parent: d.parent ?? (parsed.form === 'legacy' ? parsed.parent ?? null : null),
    level: d.level ?? (parsed.form === 'legacy' ? parsed.level : null),
    otherCodes: d.otherCodes ?? [], email: d.email ?? null, phone: d.phone ?? null,
    state: 'active', successor: null, validFrom: null, validTo: null,
  };
}

export async function addAgency(ctx: HubContext, d: AgencyDraft, actor: string): Promise<Agency> {
  const input = draftToInput(d);
  return ctx.store.transaction(async (tx) => {
    if (await tx.getAgency(input.code)) throw new HubError('VDXP_E_AGENCY_EXISTS', `Agency ${input.code} exists already`);
    const a = await tx.putAgency({ ...input, validFrom: ctx.clock.now() }, ctx.clock.now());
    await record(ctx, tx, { type: 'agency:added', actor, data: { code: a.code, name: a.name, version: a.version } });
    await tx.addAgencyHistory({ code: a.code, kind: 'added', at: ctx.clock.now(), effective: null, name: a.name, oldName: null, successor: null, actor });
    return a;
  });
}

/** Adds or updates many agencies in one transaction (an import of 111,000 rows takes seconds). */
export async function importAgencies(ctx: HubContext, drafts: AgencyDraft[], actor: string): Promise<{ count: number; version: number }> {
  if (drafts.length > ctx.limits.importAgenciesMax) {
    throw new HubError('VDXP_E_IMPORT_INVALID', `An import may hold at most ${ctx.limits.importAgenciesMax} agencies`);
  }
  const inputs = drafts.map((d, i) => {
    try {
      return draftToInput(d);
    } catch (e) {
      throw new HubError('VDXP_E_IMPORT_INVALID', `Row ${i + 1}: ${(e as Error).message}`, { cause: e });
    }
  });
  const version = await ctx.store.transaction(async (tx) => {
    const v = await tx.putAgencies(inputs.map((a) => ({ ...a, validFrom: ctx.clock.now() })), ctx.clock.now());
    await record(ctx, tx, { type: 'agency:imported', actor, data: { count: inputs.length, version: v } });
    return v;
  });
  ctx.emitter.emit('registry:changed', { version });
  return { count: inputs.length, version };
}

/** When a merger or dissolution took effect (the decision's date, as validTo); now when not given, never in the future. */
export interface StateChangeOptions {
  effectiveAt?: number;
}

/** Marks `code` merged into `successor`: documents addressed to it go to the successor from now on. */
export async function mergeAgency(ctx: HubContext, code: string, successor: string, actor: string, o: StateChangeOptions = {}): Promise<Agency> {
  return changeState(ctx, code, 'merged', successor, actor, o);
}

/** Marks `code` dissolved; with a successor its documents go there, without one they are refused. */
export async function dissolveAgency(ctx: HubContext, code: string, successor: string | null, actor: string, o: StateChangeOptions = {}): Promise<Agency> {
  return changeState(ctx, code, 'dissolved', successor, actor, o);
}

/** Gives an agency a new name (its code stays, so routing is unchanged); recorded in its history. */
export async function renameAgency(ctx: HubContext, code: string, name: string, actor: string): Promise<Agency> {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > AGENCY_NAME_CHARS_MAX) throw new HubError('VDXP_E_BAD_REQUEST', `An agency name has 1 to ${AGENCY_NAME_CHARS_MAX} characters`);
  const updated = await ctx.store.transaction(async (tx) => {
    const a = await tx.getAgency(code);
    if (!a) throw new HubError('VDXP_E_AGENCY_UNKNOWN', `No agency ${code} in the registry`);
    if (a.name === trimmed) return a;
    const { version: _v, updatedAt: _u, ...rest } = a;
    const u = await tx.putAgency({ ...rest, name: trimmed }, ctx.clock.now());
    await record(ctx, tx, { type: 'agency:renamed', actor, data: { code, name: trimmed, oldName: a.name, version: u.version } });
    await tx.addAgencyHistory({ code, kind: 'renamed', at: ctx.clock.now(), effective: null, name: trimmed, oldName: a.name, successor: null, actor });
    return u;
  });
  ctx.emitter.emit('registry:changed', { version: updated.version });
  return updated;
}

/** Longest agency name the registry keeps from a rename. */
const AGENCY_NAME_CHARS_MAX = 500;

async function changeState(ctx: HubContext, code: string, state: 'merged' | 'dissolved', successor: string | null, actor: string, o: StateChangeOptions): Promise<Agency> {
  const now = ctx.clock.now();
  const effective = o.effectiveAt ?? now;
  if (effective > now) throw new HubError('VDXP_E_BAD_REQUEST', 'The date a merger or dissolution took effect cannot be in the future: record it on that day');
  return ctx.store.transaction(async (tx) => {
    const a = await tx.getAgency(code);
    if (!a) throw new HubError('VDXP_E_AGENCY_UNKNOWN', `No agency ${code} in the registry`);
    if (successor !== null) {
      if (successor === code) throw new HubError('VDXP_E_BAD_REQUEST', 'An agency cannot succeed itself');
      if (!(await tx.getAgency(successor))) throw new HubError('VDXP_E_AGENCY_UNKNOWN', `No successor agency ${successor} in the registry`);
    }
    const { version: _v, updatedAt: _u, ...rest } = a;
    const updated = await tx.putAgency({ ...rest, state, successor, validTo: effective }, now);
    await record(ctx, tx, { type: `agency:${state}`, actor, data: { code, successor, version: updated.version, ...(o.effectiveAt !== undefined ? { effectiveAt: effective } : {}) } });
    await tx.addAgencyHistory({ code, kind: state, at: now, effective, name: a.name, oldName: null, successor, actor });
    return updated;
  });
}

export interface ResolvedRecipient {
  addressedTo: string;
  recipient: string;
  redirected: boolean;
}

/** Follows mergers and dissolutions to the agency that receives today. */
export async function resolveRecipient(ctx: HubContext, code: string): Promise<ResolvedRecipient> {
  let a = await ctx.store.findAgency(code);
  if (!a || a.deleted) throw new HubError('VDXP_E_RECIPIENT_UNKNOWN', `Recipient ${code} is not in the registry`, { details: { recipient: code } });
  for (let hop = 0; a.state === 'merged' || a.state === 'dissolved'; hop++) {
    if (a.successor === null || hop >= ctx.limits.successorHopsMax) {
      throw new HubError('VDXP_E_RECIPIENT_INACTIVE', `Recipient ${code} is ${a.state} and has no successor to receive for it`, { details: { recipient: code } });
    }
    const next = await ctx.store.getAgency(a.successor);
    if (!next) throw new HubError('VDXP_E_RECIPIENT_UNKNOWN', `Successor ${a.successor} of ${code} is not in the registry`, { details: { recipient: code } });
    a = next;
  }
  return { addressedTo: code, recipient: a.code, redirected: a.code !== code };
}

/** `vdxpStrict`: the VDXP API demands a fresh timestamp and a signature used once (see setSystemVdxpStrict). */
export async function addSystem(ctx: HubContext, o: { id: string; name?: string; agencies: string[]; secret?: string; vdxpStrict?: boolean; pushUrl?: string }, actor: string): Promise<Credentials> {
  if (!o.id || /\s/.test(o.id)) throw new HubError('VDXP_E_BAD_REQUEST', 'A system id is required and has no spaces');
  if (o.pushUrl !== undefined) checkPushUrl(o.pushUrl);
  if (o.agencies.length > ctx.limits.systemAgenciesMax) {
    throw new HubError('VDXP_E_BAD_REQUEST', `A system may act for at most ${ctx.limits.systemAgenciesMax} agencies`);
  }
  const token = `vdxp_${ctx.random.token(32)}`;
  const secret = o.secret ?? ctx.random.token(24);
  await ctx.store.transaction(async (tx) => {
    if (await tx.getSystem(o.id)) throw new HubError('VDXP_E_SYSTEM_EXISTS', `System ${o.id} exists already; use rotate-secret for new credentials`);
    // Deliveries name agencies by their registry code, so an agency given by one of its other codes is stored
    // under the registry code.
    const agencies: string[] = [];
    for (const code of o.agencies) {
      const a = await tx.findAgency(code);
      if (!a) throw new HubError('VDXP_E_AGENCY_UNKNOWN', `No agency ${code} in the registry; add it first`);
      agencies.push(a.code);
    }
    const now = ctx.clock.now();
    await tx.putSystem({
      id: o.id, name: o.name ?? o.id, tokenHash: hashToken(token), secret: ctx.secrets.seal(secret), state: 'active',
      pushUrl: o.pushUrl ?? null, vdxpStrict: o.vdxpStrict ?? false, createdAt: now, updatedAt: now,
    });
    await tx.setSystemAgencies(o.id, agencies);
    // vdxpStrict only when on: a lenient system's event stays as it was before the flag existed.
    await record(ctx, tx, { type: 'system:added', actor, data: { id: o.id, agencies, ...(o.vdxpStrict === true ? { vdxpStrict: true } : {}), ...(o.pushUrl !== undefined ? { pushUrl: o.pushUrl } : {}) } });
  });
  return { id: o.id, token, secret };
}

/** New bearer token and HMAC secret; the old ones stop working at once. */
export async function rotateSystemCredentials(ctx: HubContext, id: string, actor: string, secret?: string): Promise<Credentials> {
  const token = `vdxp_${ctx.random.token(32)}`;
  const clear = secret ?? ctx.random.token(24);
  await ctx.store.transaction(async (tx) => {
    const s = await tx.getSystem(id);
    if (!s) throw new HubError('VDXP_E_SYSTEM_UNKNOWN', `No system ${id}`);
    await tx.putSystem({ ...s, tokenHash: hashToken(token), secret: ctx.secrets.seal(clear), updatedAt: ctx.clock.now() });
    await record(ctx, tx, { type: 'system:rotated', actor, data: { id } });
  });
  return { id, token, secret: clear };
}

/**
 * Turns the VDXP API's strict checks on or off for one system: on, each call must carry a timestamp within
 * limits.vdxpReplayWindowSeconds of the hub's clock (read as Việt Nam time) and a signature not used before;
 * off (the default), a signature stays valid, as SDKVXP 2.0.1 needs. Takes effect on the next call, also on a
 * running hub. An evidence event when it changes; false (and no event) when it was so already.
 */
export async function setSystemVdxpStrict(ctx: HubContext, id: string, strict: boolean, actor: string): Promise<boolean> {
  return ctx.store.transaction(async (tx) => {
    const s = await tx.getSystem(id);
    if (!s) throw new HubError('VDXP_E_SYSTEM_UNKNOWN', `No system ${id}`);
    if (s.vdxpStrict === strict) return false;
    await tx.putSystem({ ...s, vdxpStrict: strict, updatedAt: ctx.clock.now() });
    await record(ctx, tx, { type: 'system:vdxp-strict', actor, data: { id, vdxpStrict: strict } });
    return true;
  });
}

function checkPushUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new HubError('VDXP_E_BAD_REQUEST', `Push URL "${url}" is not a URL`);
  }
  if (!['http:', 'https:'].includes(parsed.protocol) || parsed.username !== '' || parsed.password !== '' || url.length > PUSH_URL_CHARS_MAX) {
    throw new HubError('VDXP_E_BAD_REQUEST', `Push URL must be http(s), without user or password, at most ${PUSH_URL_CHARS_MAX} characters`);
  }
}

/** Longest push URL kept. */
const PUSH_URL_CHARS_MAX = 2048;

/**
 * Sets (or with null removes) the URL the hub POSTs push notices to for this system (push.ts). Only http(s)
 * URLs without credentials in them; set by the operator, never by the system itself, since the hub makes
 * requests to whatever it names.
 */
export async function setSystemPushUrl(ctx: HubContext, id: string, url: string | null, actor: string): Promise<boolean> {
  if (url !== null) checkPushUrl(url);
  return ctx.store.transaction(async (tx) => {
    const s = await tx.getSystem(id);
    if (!s) throw new HubError('VDXP_E_SYSTEM_UNKNOWN', `No system ${id}`);
    if (s.pushUrl === url) return false;
    await tx.putSystem({ ...s, pushUrl: url, updatedAt: ctx.clock.now() });
    await record(ctx, tx, { type: 'system:push-url', actor, data: { id, pushUrl: url } });
    return true;
  });
}

export async function authenticateToken(ctx: HubContext, token: string | undefined): Promise<SystemRecord> {
  if (!token) throw new HubError('VDXP_E_AUTH_MISSING', 'Send "Authorization: Bearer <token>" (vdxp system add prints the token)');
  const s = await ctx.store.getSystemByTokenHash(hashToken(token));
  if (!s || s.state !== 'active') throw new HubError('VDXP_E_AUTH_INVALID', 'The bearer token is not that of an active system');
  return s;
}

/** The clear HMAC secret of a system, for the VDXP-compatible API. */
export function systemSecret(ctx: HubContext, s: SystemRecord): string {
  return ctx.secrets.open(s.secret);
}
