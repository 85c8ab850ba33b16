// Admission: what one node lets in at once, so that one runaway or hostile client cannot take it from the others.
// - Connections: `limits.httpConnectionsMax` open at once (Node's server.maxConnections closes one more as it
//   arrives), so sockets never use up the descriptors the store and packet files need.
// - Calls per system: `limits.callsInFlightPerSystemMax` authenticated calls of one system in flight on this
//   node (long-polls included, either API); one more is refused with VDXP_E_TOO_MANY_CALLS (429) and
//   `Retry-After: 1` before it reads its body or touches the store. Counted per node, in memory: with several
//   nodes a system may have this many on each.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HubContext } from '../context.ts';
import { HubError } from '../errors.ts';

const inFlight = new WeakMap<HubContext, Map<string, number>>();
const admitted = new WeakSet<IncomingMessage>();

/** Counts the call against its system until its answer is sent or its connection drops; refuses one too many. */
export function admitCall(ctx: HubContext, req: IncomingMessage, res: ServerResponse, systemId: string): void {
  if (admitted.has(req)) return;
  let calls = inFlight.get(ctx);
  if (calls === undefined) {
    calls = new Map();
    inFlight.set(ctx, calls);
  }
  const now = calls.get(systemId) ?? 0;
  const max = ctx.limits.callsInFlightPerSystemMax;
  if (now >= max) {
    res.setHeader('retry-after', '1');
    throw new HubError('VDXP_E_TOO_MANY_CALLS', `System ${systemId} has ${now} calls in flight on this node; at most ${max} (limits.callsInFlightPerSystemMax)`, {
      details: { systemId, callsInFlightPerSystemMax: max },
    });
  }
  admitted.add(req);
  calls.set(systemId, now + 1);
  const map = calls;
  // 'close' comes once, after the answer was sent or when the connection dropped first.
  res.once('close', () => {
    const left = (map.get(systemId) ?? 1) - 1;
    if (left > 0) map.set(systemId, left);
    else map.delete(systemId);
  });
}

/** Calls in flight per system on this node (for tests and /metrics). */
export function callsInFlight(ctx: HubContext): ReadonlyMap<string, number> {
  return inFlight.get(ctx) ?? new Map();
}
