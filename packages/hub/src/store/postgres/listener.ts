// Cross-node long-poll wake: one dedicated connection per node LISTENs on INBOX_CHANNEL, where every delivery
// insert notifies its recipient at commit (postgres-store.ts insertDelivery). When the connection drops (the
// database restarted, a failover), it reconnects with backoff and then wakes every waiter, since notifications
// sent while it was away are lost: each long-poll re-reads its inbox and waits again for what time it has left.

import pg from 'pg';
import { INBOX_CHANNEL } from './postgres-store.ts';

/**
 * Between reconnection attempts: quick at first, then at most this. A restart takes a second or two, and
 * until the listener is back a wake can only come from its re-check: a low ceiling keeps that within the
 * second the issue asks for, at the cost of one connection attempt per 500 ms while the database is down.
 */
const LISTEN_RETRY_MS_MIN = 50;
const LISTEN_RETRY_MS_MAX = 500;

export interface InboxListener {
  /** Resolves once the first LISTEN is in place. */
  readonly ready: Promise<void>;
  /** Connections made so far (1 after the start; more after each database restart). */
  readonly connections: number;
  close(): Promise<void>;
}

export function listenInbox(url: string, on: { notify: (agency: string) => void; reconnected: () => void }): InboxListener {
  let client: pg.Client | undefined;
  let closed = false;
  let connections = 0;
  let retryMs = LISTEN_RETRY_MS_MIN;
  let timer: NodeJS.Timeout | undefined;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => { markReady = resolve; });

  const connect = async (): Promise<void> => {
    if (closed) return;
    const c = new pg.Client({ connectionString: url, application_name: 'vdxp-listen', keepAlive: true });
    c.on('error', () => undefined); // followed by 'end', which reconnects
    c.on('notification', (m) => { if (m.channel === INBOX_CHANNEL && m.payload) on.notify(m.payload); });
    try {
      await c.connect();
      await c.query(`LISTEN ${INBOX_CHANNEL}`);
    } catch {
      await c.end().catch(() => undefined);
      schedule();
      return;
    }
    if (closed) { await c.end().catch(() => undefined); return; }
    client = c;
    connections++;
    retryMs = LISTEN_RETRY_MS_MIN;
    c.once('end', () => {
      client = undefined;
      schedule();
    });
    if (connections > 1) on.reconnected();
    markReady();
  };
  const schedule = (): void => {
    if (closed) return;
    timer = setTimeout(() => { void connect(); }, retryMs);
    timer.unref();
    retryMs = Math.min(retryMs * 2, LISTEN_RETRY_MS_MAX);
  };
  void connect();
  return {
    ready,
    get connections() { return connections; },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      markReady();
      await client?.end().catch(() => undefined);
    },
  };
}
