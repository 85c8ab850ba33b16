// Live simulation: the simulated agency systems run against a hub over its native API, as real ones would:
// senders submit documents at the asked rate (the traffic model's flows), every system long-polls its inbox,
// takes the packets (small ones carried in the inbox answer, larger ones fetched alone), acks a page in one
// call and only what it read whole, answers with statuses as its behaviour says (prompt, late, sitter), rejects
// now and then, recalls and answers recalls; one system is down for a simulated hour.
// Recipients' delays (minutes to days) run `speed` times faster than the wall clock.

import { PacketMaker } from './packets.ts';
import { Prng } from './prng.ts';
import type { NationalRegistry } from './registry.ts';
import { HOUR_MS, TrafficModel, type Behaviour } from './traffic.ts';
import { HubRefusal, type AckOutcome, type InboxEntry, type InboxPage, type NativeTransport, type SubmitAnswer } from './transport.ts';

export interface LiveOptions {
  transport: NativeTransport;
  registry: NationalRegistry;
  /** System id → bearer token. Systems without one neither send nor receive. */
  tokens: ReadonlyMap<string, string>;
  seed: number;
  /** Documents per second the senders submit, all together. */
  ratePerSecond: number;
  durationMs: number;
  /** Simulated time per wall-clock time for recipients' delays (default 3600: an hour passes in a second). */
  speed?: number;
  /** After sending stops, how long receivers may drain what is left (default 5 s). */
  drainMs?: number;
  /** Submits in flight at once; beyond it the senders fall behind and say so (default 64). */
  inFlightMax?: number;
  /** Whether one system goes down for a simulated hour a third of the way in (default true). */
  downtime?: boolean;
  signal?: AbortSignal;
  onTick?: (s: LiveReport) => void;
}

export interface LiveReport {
  seconds: number;
  askedPerSecond: number;
  sent: number;
  sentPerSecond: number;
  /** Documents the senders could not start because `inFlightMax` submits were already waiting. */
  behind: number;
  submitP50Ms: number;
  submitP99Ms: number;
  deliveries: number;
  fetched: number;
  statusesSent: number;
  statusesReceived: number;
  recalls: number;
  /** From a document's acceptance to its recipient's ack. */
  deliveryLagP50Ms: number;
  deliveryLagP99Ms: number;
  /** Deliveries accepted but not yet acked when the run ended (the sitter's and the down system's included). */
  unackedAtEnd: number;
  refused: Record<string, number>;
  /** Calls made again after a network error (a reset connection under load); a resend carries the same bytes. */
  networkRetries: number;
  downSystem: string | null;
  behaviours: Record<Behaviour, number>;
}

/** The refusals a simulated step may meet by the rules (a status racing a recall, a delivery withdrawn). */
const EXPECTED_REFUSALS = new Set(['VDXP_E_STATUS_TRANSITION', 'VDXP_E_DELIVERY_GONE']);
const INBOX_WAIT_SECONDS = 5;
const INBOX_PAGE = 100;
/** The largest packet asked to be carried in the inbox answer (the hub caps it with its own limit). */
const INLINE_PACKET_BYTES = 64 * 1024;
const NETWORK_ATTEMPTS_MAX = 5;

export async function runLive(o: LiveOptions): Promise<LiveReport> {
  const speed = o.speed ?? 3600;
  const inFlightMax = o.inFlightMax ?? 64;
  const traffic = new TrafficModel(o.registry, { seed: o.seed, rate: 1 });
  const packets = await PacketMaker.create();
  const rng = new Prng(o.seed).fork('live');
  const systemOf = new Map(o.registry.agencies.map((a) => [a.code, a.system]));
  const tokenOf = (agency: string): string | undefined => o.tokens.get(systemOf.get(agency) ?? '');
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  o.signal?.addEventListener('abort', onAbort);
  // Each system's calls carry a signal of that system's, aborted with `stop`: an AbortSignal's listeners are a
  // list, and hundreds of calls in flight on one shared signal made adding and removing each call's listener
  // a measurable share of the simulator's CPU.
  const signals = new Map<string, AbortSignal>();
  const signalOf = (token: string): AbortSignal => {
    let s = signals.get(token);
    if (s === undefined) {
      const c = new AbortController();
      if (stop.signal.aborted) c.abort();
      else stop.signal.addEventListener('abort', () => c.abort(), { once: true });
      s = c.signal;
      signals.set(token, s);
    }
    return s;
  };
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => Promise<void>): void => {
    if (stop.signal.aborted) return;
    const t = setTimeout(() => {
      timers.delete(t);
      if (!stop.signal.aborted) fn().catch(fatal);
    }, Math.max(0, ms / speed));
    timers.add(t);
  };
  let failure: Error | undefined;
  const fatal = (e: unknown): void => {
    failure ??= e instanceof Error ? e : new Error(String(e));
    stop.abort();
  };

  const submitMs: number[] = [];
  const lagMs: number[] = [];
  const acceptedAt = new Map<string, number>();
  const report: LiveReport = {
    seconds: 0, askedPerSecond: o.ratePerSecond, sent: 0, sentPerSecond: 0, behind: 0, submitP50Ms: 0, submitP99Ms: 0, deliveries: 0, fetched: 0,
    statusesSent: 0, statusesReceived: 0, recalls: 0, deliveryLagP50Ms: 0, deliveryLagP99Ms: 0, unackedAtEnd: 0, refused: {}, networkRetries: 0, downSystem: null,
    behaviours: { prompt: 0, late: 0, sitter: 0 },
  };
  for (const s of o.registry.systems) if (o.tokens.has(s.id)) report.behaviours[traffic.behaviourOf(s.id)]++;
  const refuse = (e: unknown): void => {
    if (e instanceof HubRefusal && EXPECTED_REFUSALS.has(e.code)) report.refused[e.code] = (report.refused[e.code] ?? 0) + 1;
    else throw e;
  };
  // A network error (not a hub's answer) is tried again: a submit of the same bytes is answered with the
  // original ids, an ack or a fetch changes nothing the second time.
  const retrying = async <T>(fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        if (e instanceof HubRefusal || stop.signal.aborted || attempt >= NETWORK_ATTEMPTS_MAX) throw e;
        report.networkRetries++;
        await sleep(100 * attempt, stop.signal);
      }
    }
  };
  const sendStatus = async (from: string, responseOrgan: string, documentId: string, code: string): Promise<boolean> => {
    const token = tokenOf(from);
    if (!token) return false;
    try {
      const bytes = packets.status({ from, responseOrgan, documentId, code, description: `Mô phỏng: trạng thái ${code}`, at: Date.now() });
      await retrying(() => o.transport.submit(token, bytes, signalOf(token)));
      report.statusesSent++;
      return true;
    } catch (e) {
      if (stop.signal.aborted) return false;
      refuse(e);
      return false;
    }
  };

  // Receivers: one long-poll loop per system.
  const down = { system: null as string | null, until: 0 };
  const receive = async (systemId: string, token: string): Promise<void> => {
    const behaviour = traffic.behaviourOf(systemId);
    const signal = signalOf(token);
    while (!stop.signal.aborted) {
      if (down.system === systemId && Date.now() < down.until) {
        await sleep(Math.min(200, down.until - Date.now()), stop.signal);
        continue;
      }
      let page: InboxPage;
      try {
        page = await retrying(() => o.transport.inbox(token, { waitSeconds: INBOX_WAIT_SECONDS, limit: INBOX_PAGE, inline: INLINE_PACKET_BYTES }, signal));
      } catch (e) {
        if (stop.signal.aborted) return;
        throw e;
      }
      // Acked only once the packet was read whole (an agency that acks what it did not store loses documents):
      // carried in the answer with the item's length and digest, or else fetched alone to its end.
      const read = await Promise.all(page.items.map((item) => readWhole(item, token, signal)));
      const taken = page.items.filter((_, i) => read[i] === true);
      if (taken.length === 0 || stop.signal.aborted) continue;
      let outcomes: AckOutcome[];
      try {
        // A hub that takes batch acks says so in the inbox answer; with an older one, an ack per delivery.
        outcomes = page.inlinePacketBytesMax !== undefined
          ? await retrying(() => o.transport.ackMany(token, taken.map((i) => ({ deliveryId: i.deliveryId, result: 'done' as const })), signal))
          : await Promise.all(taken.map(async (i): Promise<AckOutcome> => {
            try {
              await retrying(() => o.transport.ack(token, i.deliveryId, 'done', signal));
              return { deliveryId: i.deliveryId };
            } catch (e) {
              if (e instanceof HubRefusal) return { deliveryId: i.deliveryId, refusal: e };
              throw e;
            }
          }));
      } catch (e) {
        if (stop.signal.aborted) return;
        throw e;
      }
      taken.forEach((item, i) => {
        const refusal = outcomes[i]?.refusal;
        if (refusal !== undefined) refuse(refusal);
        else acked(item, behaviour);
      });
    }
  };
  /** Whether the packet was read whole: carried in the answer (checked by the transport), or fetched alone now. */
  const readWhole = async (item: InboxEntry, token: string, signal: AbortSignal): Promise<boolean> => {
    if (item.packet !== undefined) return true;
    try {
      await retrying(() => o.transport.fetchPacket(token, item.deliveryId, signal));
      return true;
    } catch (e) {
      if (stop.signal.aborted) return false;
      refuse(e);
      return false;
    }
  };
  /** What an acked delivery sets off: its lag noted, then the recipient's answers or a recall's answer. */
  const acked = (item: InboxEntry, behaviour: Behaviour): void => {
    if (item.kind === 'status') {
      report.statusesReceived++;
      if (item.statusCode === '13' && item.edxmlDocumentId) {
        const answer = traffic.recallAnswer(rng);
        const { to, from, edxmlDocumentId } = item;
        later(answer.after, async () => { await sendStatus(to, from, edxmlDocumentId, answer.code); });
      }
      return;
    }
    report.fetched++;
    const t0 = acceptedAt.get(item.deliveryId);
    if (t0 !== undefined) {
      lagMs.push(performance.now() - t0);
      acceptedAt.delete(item.deliveryId);
    }
    if (!item.edxmlDocumentId) return;
    const documentId = item.edxmlDocumentId;
    const steps = traffic.recipientSteps(rng, behaviour).filter((s) => s.action !== 'fetch');
    const next = (i: number): void => {
      const s = steps[i];
      if (!s) return;
      later(s.after, async () => { if (await sendStatus(item.to, item.from, documentId, s.action)) next(i + 1); });
    };
    next(0);
  };

  // Senders: documents at the asked rate, each from the system that serves its sender.
  let inFlight = 0;
  const sending = new Set<Promise<void>>();
  const send = async (): Promise<void> => {
    const doc = traffic.document(rng, Date.now());
    const token = tokenOf(doc.from.code);
    if (!token) return;
    const at = Date.now();
    const documentId = `${doc.from.code},${new Date(at + 7 * HOUR_MS).toISOString().slice(0, 10).replaceAll('-', '/')},${doc.serial}-${o.seed}-${at}/MP`;
    const bytes = packets.edoc({ from: doc.from.code, to: doc.to, documentId, number: String(doc.serial), notation: 'MP', subject: doc.subject, at, businessType: 0 });
    const t0 = performance.now();
    let answer: SubmitAnswer;
    try {
      answer = await retrying(() => o.transport.submit(token, bytes, signalOf(token)));
    } catch (e) {
      if (stop.signal.aborted) return;
      throw e;
    }
    const t1 = performance.now();
    submitMs.push(t1 - t0);
    report.sent++;
    report.deliveries += answer.deliveries.length;
    for (const d of answer.deliveries) acceptedAt.set(d.id, t1);
    const follow = traffic.senderFollowUp(rng);
    if (follow?.action === 'recall') {
      later(follow.after, async () => {
        report.recalls++;
        for (const d of answer.deliveries) await sendStatus(doc.from.code, d.recipient, documentId, '13');
      });
    }
  };

  const started = performance.now();
  const loops = [...o.tokens].map(([id, token]) => receive(id, token).catch(fatal));
  if (o.downtime !== false && o.tokens.size > 0) {
    const systems = [...o.tokens.keys()];
    const victim = systems[rng.int(systems.length)] ?? null;
    report.downSystem = victim;
    const at = o.durationMs / 3;
    setTimeout(() => { down.system = victim; down.until = Date.now() + HOUR_MS / speed; }, at).unref();
  }
  const tickMs = 1000;
  let nextTick = started + tickMs;
  let due = 0;
  while (!stop.signal.aborted && performance.now() - started < o.durationMs) {
    const elapsed = performance.now() - started;
    const target = Math.floor((elapsed / 1000) * o.ratePerSecond);
    while (due < target) {
      due++;
      if (inFlight >= inFlightMax) {
        report.behind++;
        continue;
      }
      inFlight++;
      const p: Promise<void> = send().catch(fatal).finally(() => { inFlight--; sending.delete(p); });
      sending.add(p);
    }
    if (performance.now() >= nextTick) {
      nextTick += tickMs;
      o.onTick?.(summarise());
    }
    await sleep(5, stop.signal);
  }
  await Promise.all(sending);
  const sendingEnded = performance.now();
  // Let the receivers take what is left, then stop everything.
  while (!stop.signal.aborted && acceptedAt.size > 0 && performance.now() - sendingEnded < (o.drainMs ?? 5000)) await sleep(50, stop.signal);
  stop.abort();
  for (const t of timers) clearTimeout(t);
  await Promise.all(loops);
  o.signal?.removeEventListener('abort', onAbort);
  if (failure !== undefined) throw failure;
  return summarise();

  function summarise(): LiveReport {
    const seconds = (performance.now() - started) / 1000;
    const sorted = (xs: number[]): number[] => [...xs].sort((a, b) => a - b);
    const s = sorted(submitMs);
    const l = sorted(lagMs);
    return {
      ...report, refused: { ...report.refused }, seconds: round(seconds), sentPerSecond: round(report.sent / Math.max(seconds, 1e-9)),
      submitP50Ms: round(percentile(s, 0.5)), submitP99Ms: round(percentile(s, 0.99)),
      deliveryLagP50Ms: round(percentile(l, 0.5)), deliveryLagP99Ms: round(percentile(l, 0.99)), unackedAtEnd: acceptedAt.size,
    };
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
