// Who called the hub, cheaply: each node tallies every authenticated call of a connected system (native bearer
// token or VDXP signature) in memory and adds the tally to the store (system_activity, one row per system and
// hour) at most once per limits.systemActivityFlushSeconds per system, so a busy system costs one small UPSERT a
// minute per node, not a row per request; the first call a node sees is written at once. Additive, so several
// nodes on one PostgreSQL never overwrite each other. What a node has not written yet (under a minute's calls)
// is written when the console reads the systems (flushActivity).
//
// Also kept here, in memory and per node only: the last refusals (code, system, time) for the Health page.

import type { IncomingMessage } from 'node:http';
import type { HubContext } from './context.ts';
import { hourStart } from './store/sql-shared.ts';
import type { CallProtocol } from './store/store.ts';

interface Tally {
  calls: number;
  refusals: number;
  lastAt: number;
  protocol: CallProtocol;
  flushedAt: number;
}

export interface RecentError {
  at: string;
  code: string;
  status: number;
  systemId: string | null;
  method: string;
  route: string;
}

interface NodeActivity {
  tallies: Map<string, Tally>;
  errors: RecentError[];
}

const nodes = new WeakMap<HubContext, NodeActivity>();
const callers = new WeakMap<IncomingMessage, { systemId: string; protocol: CallProtocol }>();
const refusalCodes = new WeakMap<IncomingMessage, string>();

function nodeOf(ctx: HubContext): NodeActivity {
  let n = nodes.get(ctx);
  if (!n) {
    n = { tallies: new Map(), errors: [] };
    nodes.set(ctx, n);
  }
  return n;
}

/** The request was made by this system (its credentials checked): its answer counts as one of its calls. */
export function markCaller(req: IncomingMessage, systemId: string, protocol: CallProtocol): void {
  callers.set(req, { systemId, protocol });
}

/** The stable error code the request was refused with (set by the error handlers). */
export function markRefusal(req: IncomingMessage, code: string): void {
  refusalCodes.set(req, code);
}

/**
 * Called once per answered request: a refusal (HTTP status ≥ 400, or a VDXP answer carrying an error code) goes
 * into the recent errors; a system's call into its tally.
 */
export async function noteResponse(ctx: HubContext, req: IncomingMessage, a: { status: number; vdxpErrorCode?: string; method: string; route: string }): Promise<void> {
  const refused = a.status >= 400 || a.vdxpErrorCode !== undefined;
  const caller = callers.get(req);
  if (refused) {
    const n = nodeOf(ctx);
    n.errors.push({
      at: new Date(ctx.clock.now()).toISOString(), code: a.vdxpErrorCode ?? refusalCodes.get(req) ?? `HTTP_${a.status}`, status: a.status,
      systemId: caller?.systemId ?? null, method: a.method, route: a.route,
    });
    if (n.errors.length > ctx.limits.recentErrorsMax) n.errors.splice(0, n.errors.length - ctx.limits.recentErrorsMax);
  }
  if (caller) await noteCall(ctx, caller.systemId, caller.protocol, refused);
}

/** Tallies one call; writes the system's tally when the last write is at least the flush interval old. */
export async function noteCall(ctx: HubContext, systemId: string, protocol: CallProtocol, refused: boolean): Promise<void> {
  const n = nodeOf(ctx);
  const now = ctx.clock.now();
  let t = n.tallies.get(systemId);
  if (!t) {
    t = { calls: 0, refusals: 0, lastAt: now, protocol, flushedAt: -Infinity };
    n.tallies.set(systemId, t);
  }
  t.calls += 1;
  if (refused) t.refusals += 1;
  t.lastAt = Math.max(t.lastAt, now);
  t.protocol = protocol;
  if (now - t.flushedAt >= ctx.limits.systemActivityFlushSeconds * 1000) await flushOne(ctx, systemId, t, now);
}

async function flushOne(ctx: HubContext, systemId: string, t: Tally, now: number): Promise<void> {
  const { calls, refusals } = t;
  if (calls === 0) return;
  // Taken before the write, so calls answered meanwhile start the next tally instead of being counted twice.
  t.calls = 0;
  t.refusals = 0;
  t.flushedAt = now;
  try {
    await ctx.store.addSystemActivity({ systemId, hourAt: hourStart(t.lastAt), calls, refusals, lastAt: t.lastAt, protocol: t.protocol });
  } catch (e) {
    t.calls += calls;
    t.refusals += refusals;
    t.flushedAt = -Infinity;
    throw e;
  }
}

/** Writes every tally this node still holds (the console's systems page reads fresh figures). */
export async function flushActivity(ctx: HubContext): Promise<void> {
  const now = ctx.clock.now();
  for (const [id, t] of nodeOf(ctx).tallies) await flushOne(ctx, id, t, now);
}

/** This node's last refusals, newest first. */
export function recentErrors(ctx: HubContext): RecentError[] {
  return [...nodeOf(ctx).errors].reverse();
}
