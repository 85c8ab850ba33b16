// `vdxp simulate --history`: months of national traffic written into a hub's store through the hub's own code,
// each step at its simulated time, so counters, timelines, overdue flags and the evidence chain are what a hub
// that lived through those months would hold.
//
// Two ways through the hub. `batch` (the default): `HistoryBatch` decides each step as intake, fetch, ack and
// the sweep do and commits `documentsPerCommit` documents per transaction (`StoreOps.writeBatch`); documents
// of the same shape share one stored packet body (content-addressed), their rows and headers their own.
// `intake`: each step through submitPacket, fetchPacket, ackDelivery and sweep, rounds of up to `inFlight`
// steps at once under the store's group commit (the hub's live path; tens of documents a second).
//
// Steps are kept in a time-ordered queue. A step's follow-up (the next status, a recall) is queued when it
// finishes, so one delivery's steps never overlap.

import { ackDelivery, batchBody, fetchPacket, HistoryBatch, HubError, submitPacket, sweep, type BatchBody, type Hub, type HubContext, type SystemRecord } from '@vdxp/hub';
import { VN_UTC_OFFSET_MS } from '@vdxp/edxml';
import { PacketMaker, type EdocFields, type StatusFields } from './packets.ts';
import { Prng } from './prng.ts';
import type { NationalRegistry, SimAgency } from './registry.ts';
import { DAY_MS, TrafficModel, type PlannedDocument } from './traffic.ts';

export interface HistoryOptions {
  /** Simulated span, ending at `end`. */
  days: number;
  /** End of the span (default: the start of today, Việt Nam time). */
  end?: number;
  seed: number;
  /** 1 = about 200,000 documents a month. */
  rate: number;
  /** Stop after this many documents (the benchmark's size); the span is cut short then. */
  documentsMax?: number;
  /** `batch` (default): many documents per transaction; `intake`: the hub's per-document path. */
  through?: 'batch' | 'intake';
  /** batch: documents per transaction (default 5000). */
  documentsPerCommit?: number;
  /**
   * batch: load in a store bulk-load session (default true): the store sets aside what only the console reads
   * and builds it once at the end (StoreOps.beginBulkLoad); a crash leaves the store to finish it when opened.
   */
  bulk?: boolean;
  /**
   * batch: write the batches through the store's batch writer (default true): on SQLite a connection on a thread
   * of its own, so deciding the next batch and writing this one use both cores (Store.batchWriter).
   */
  writerThread?: boolean;
  /** intake: steps run at once (default 64). */
  inFlight?: number;
  legacyCodes?: readonly string[];
  onProgress?: (p: HistoryProgress) => void;
}

export interface HistoryProgress {
  day: string;
  documents: number;
  steps: number;
  seconds: number;
}

export interface HistoryReport {
  through: 'batch' | 'intake';
  /** Edocs accepted, the updates and replacements among them. */
  documents: number;
  deliveries: number;
  fetches: number;
  statuses: number;
  recalls: number;
  updates: number;
  /** Steps the hub refused as the rules say it must (a status after a recall, a fetch of a withdrawn delivery…), by code. */
  refused: Record<string, number>;
  /** Packets the hub had accepted before (a second run over the same span and seed). */
  resent: number;
  overdueFlagged: number;
  /** batch: transactions committed. */
  commits: number;
  /** batch in a bulk-load session: the seconds its end took (indexes rebuilt, rollups and word index filled), within `seconds`. */
  bulkFinishSeconds: number;
  seconds: number;
  documentsPerSecond: number;
  stepsPerSecond: number;
  peakRssBytes: number;
  from: string;
  to: string;
}

/** Refusals a simulated step may meet by the rules (it raced a recall, or its delivery was withdrawn): counted, not fatal. */
const EXPECTED_REFUSALS = new Set(['VDXP_E_STATUS_TRANSITION', 'VDXP_E_DELIVERY_GONE']);

interface Step {
  at: number;
  /** The document it concerns: a round holds at most one step per document, so no two of them race. */
  doc: string;
  run: (at: number) => Promise<void>;
}

interface Accepted {
  created: boolean;
  deliveries: { id: string; recipient: string }[];
}

/** The hub's side of a step, one way or the other. */
interface Writer {
  edoc(at: number, system: SystemRecord, f: EdocFields): Promise<Accepted>;
  /** A status about delivery `deliveryId`; true when it was new. */
  status(at: number, system: SystemRecord, f: StatusFields, deliveryId: string): Promise<boolean>;
  fetchAndAck(at: number, system: SystemRecord, deliveryId: string): Promise<void>;
  sweep(at: number): Promise<number>;
  /** No more steps for this delivery. */
  release(deliveryId: string): void;
  finish(): Promise<number>;
  /** After a failure: lets go of the writer's thread, the batch not written. */
  abandon(): Promise<void>;
}

function intakeWriter(hub: Hub, packets: PacketMaker): Writer {
  const atTime = (at: number): HubContext => ({ ...hub.ctx, clock: { now: () => at } });
  return {
    edoc: async (at, system, f) => await submitPacket(atTime(at), system, [packets.edoc(f)], { via: 'native' }),
    status: async (at, system, f) => (await submitPacket(atTime(at), system, [packets.status(f)], { via: 'native' })).created,
    fetchAndAck: async (at, system, deliveryId) => {
      const c = atTime(at);
      const p = await fetchPacket(c, system, deliveryId);
      for await (const _ of p.stream) { /* read to the end: the digest is checked while streaming */ }
      await ackDelivery(c, system, deliveryId, 'done');
    },
    sweep: async (at) => {
      let overdue = 0;
      for (;;) {
        const swept = await sweep(atTime(at));
        overdue += swept.overdue;
        if (swept.overdue + swept.expired < 500) return overdue;
      }
    },
    release: () => undefined,
    finish: async () => 0,
    abandon: async () => undefined,
  };
}

function batchWriter(hub: Hub, packets: PacketMaker, documentsPerCommit: number, writerThread: boolean): Writer {
  const thread = writerThread ? hub.ctx.store.batchWriter() : undefined;
  const batch = new HistoryBatch(hub.ctx, { documentsPerCommit, ...(thread ? { writer: thread } : {}) });
  const bodies = new Map<Buffer, BatchBody>();
  const body = (bytes: Buffer): BatchBody => {
    let b = bodies.get(bytes);
    if (!b) {
      b = batchBody(bytes);
      bodies.set(bytes, b);
    }
    return b;
  };
  return {
    edoc: async (at, system, f) => {
      const p = await packets.edocShared(f);
      return await batch.edoc(system, p.header, body(p.body), at);
    },
    status: async (at, system, f, deliveryId) => {
      const p = await packets.statusShared(f);
      return (await batch.status(system, p.header, body(p.body), deliveryId, at)).created;
    },
    fetchAndAck: (at, system, deliveryId) => batch.fetchAndAck(system, deliveryId, at),
    sweep: async (at) => (await batch.sweep(at)).overdue,
    release: (id) => { batch.release(id); },
    finish: async () => {
      try {
        await batch.commit();
      } finally {
        await thread?.close();
      }
      return batch.commits;
    },
    abandon: async () => { await thread?.close(); },
  };
}

export async function writeHistory(hub: Hub, reg: NationalRegistry, o: HistoryOptions): Promise<HistoryReport> {
  const started = performance.now();
  const through = o.through ?? 'batch';
  const inFlight = through === 'batch' ? 1 : o.inFlight ?? 64;
  const end = o.end ?? startOfVnDay(Date.now());
  const first = end - o.days * DAY_MS;
  const traffic = new TrafficModel(reg, { seed: o.seed, rate: o.rate, ...(o.legacyCodes ? { legacyCodes: o.legacyCodes } : {}) });
  const packets = await PacketMaker.create();
  const writer = through === 'batch' ? batchWriter(hub, packets, o.documentsPerCommit ?? 5000, o.writerThread !== false) : intakeWriter(hub, packets);
  const systemOf = new Map(reg.agencies.map((a) => [a.code, a.system]));
  const systems = new Map<string, SystemRecord>();
  for (const s of reg.systems) {
    const rec = await hub.ctx.store.getSystem(s.id);
    if (!rec) throw new Error(`System ${s.id} is not in the hub: seed the simulated registry first (seedNational)`);
    systems.set(s.id, rec);
  }
  const system = (agency: string): SystemRecord => {
    const rec = systems.get(systemOf.get(agency) ?? '');
    if (!rec) throw new Error(`assertion: agency ${agency} has a simulated system`);
    return rec;
  };
  const report: HistoryReport = {
    through, documents: 0, deliveries: 0, fetches: 0, statuses: 0, recalls: 0, updates: 0, refused: {}, resent: 0, overdueFlagged: 0, commits: 0, bulkFinishSeconds: 0,
    seconds: 0, documentsPerSecond: 0, stepsPerSecond: 0, peakRssBytes: process.memoryUsage().rss,
    from: new Date(first).toISOString(), to: new Date(end).toISOString(),
  };
  const bulk = through === 'batch' && o.bulk !== false;
  if (bulk) await hub.ctx.store.beginBulkLoad();
  const queue = new StepQueue();
  let steps = 0;
  const refuse = (e: unknown): void => {
    if (e instanceof HubError && EXPECTED_REFUSALS.has(e.code)) report.refused[e.code] = (report.refused[e.code] ?? 0) + 1;
    else throw e;
  };

  const sendStatus = async (at: number, from: string, responseOrgan: string, documentId: string, code: string, deliveryId: string): Promise<boolean> => {
    try {
      const created = await writer.status(at, system(from), { from, responseOrgan, documentId, code, description: STATUS_TEXT[code] ?? 'Mô phỏng', at }, deliveryId);
      if (!created) report.resent++;
      report.statuses++;
      return true;
    } catch (e) {
      refuse(e);
      return false;
    }
  };

  const send = async (at: number, doc: PlannedDocument, businessType: 0 | 2 | 3 = 0, related?: string): Promise<void> => {
    const documentId = `${doc.from.code},${vnDate(at)},${doc.serial}${businessType === 0 ? '' : `-${businessType}`}/${notation(doc.from)}`;
    const r = await writer.edoc(at, system(doc.from.code), {
      from: doc.from.code, to: doc.to, documentId, number: String(doc.serial), notation: notation(doc.from), subject: doc.subject, at, businessType,
      ...(related ? { relatedDocumentId: related } : {}),
    });
    if (!r.created) {
      report.resent++;
      return;
    }
    report.documents++;
    report.deliveries += r.deliveries.length;
    // Only ids and recipients are kept for the steps to come, not the result's document row (its parsed
    // header): tens of thousands of deliveries wait days for their next status.
    const deliveries = r.deliveries.map(({ id, recipient }) => ({ id, recipient }));
    const rng = new Prng(o.seed).fork(`doc:${documentId}`);
    for (const d of deliveries) {
      const recipientSystem = system(d.recipient);
      let t = at;
      const stepsOf = traffic.recipientSteps(rng, traffic.behaviourOf(recipientSystem.id));
      const next = (i: number): void => {
        const s = stepsOf[i];
        if (!s) {
          writer.release(d.id);
          return;
        }
        t += s.after;
        queue.push({ at: t, doc: documentId, run: async (now) => {
          if (s.action === 'fetch') {
            try {
              await writer.fetchAndAck(now, recipientSystem, d.id);
              report.fetches++;
            } catch (e) {
              refuse(e);
              writer.release(d.id);
              return;
            }
          } else if (!(await sendStatus(now, d.recipient, doc.from.code, documentId, s.action, d.id))) {
            writer.release(d.id);
            return;
          }
          next(i + 1);
        } });
      };
      next(0);
    }
    if (businessType !== 0) return;
    const follow = traffic.senderFollowUp(rng);
    if (!follow) return;
    queue.push({ at: at + follow.after, doc: documentId, run: async (now) => {
      if (follow.action === 'recall') {
        report.recalls++;
        for (const d of deliveries) {
          if (!(await sendStatus(now, doc.from.code, d.recipient, documentId, '13', d.id))) continue;
          const answer = traffic.recallAnswer(rng);
          queue.push({ at: now + answer.after, doc: documentId, run: async (later) => { await sendStatus(later, d.recipient, doc.from.code, documentId, answer.code, d.id); } });
        }
        return;
      }
      report.updates++;
      await send(now, { ...doc, serial: doc.serial }, follow.action === 'update' ? 2 : 3, documentId);
    } });
  };

  try {
    let stop = false;
    let planned = 0;
    for (let day = first; day < end && !stop; day += DAY_MS) {
      for (const doc of traffic.day(day)) {
        // Counted in time order (a day's serials are not): the first `documentsMax` documents of the span.
        if (o.documentsMax !== undefined && planned >= o.documentsMax) {
          stop = true;
          break;
        }
        planned++;
        queue.push({ at: doc.at, doc: `new:${doc.serial}`, run: (now) => send(now, doc) });
      }
      // Everything due before the next day runs before that day's documents are drawn.
      const dayEnd = Math.min(day + DAY_MS, end);
      while (queue.size > 0 && (queue.peek() as Step).at < dayEnd) {
        const round: Step[] = [];
        const held: Step[] = [];
        const docs = new Set<string>();
        while (round.length < inFlight && queue.size > 0 && (queue.peek() as Step).at < dayEnd) {
          const s = queue.pop() as Step;
          if (docs.has(s.doc)) held.push(s);
          else round.push(s);
          docs.add(s.doc);
        }
        for (const s of held) queue.push(s);
        if (round.length === 1) await (round[0] as Step).run((round[0] as Step).at);
        else await Promise.all(round.map((s) => s.run(s.at)));
        steps += round.length;
      }
      // The sweep at the end of the day flags what went unanswered (the console's overdue figures).
      report.overdueFlagged += await writer.sweep(dayEnd - 1);
      report.peakRssBytes = Math.max(report.peakRssBytes, process.memoryUsage().rss);
      o.onProgress?.({ day: vnDate(day), documents: report.documents, steps, seconds: (performance.now() - started) / 1000 });
    }
    // Steps planned past the end stay unplayed: a hub at `end` has them still to come.
    report.commits = await writer.finish();
  } catch (e) {
    // The rows committed so far stay; the session ends as it would on the next open.
    await writer.abandon().catch(() => undefined);
    if (bulk) await hub.ctx.store.endBulkLoad().catch(() => undefined);
    throw e;
  }
  if (bulk) {
    const t0 = performance.now();
    await hub.ctx.store.endBulkLoad();
    report.bulkFinishSeconds = (performance.now() - t0) / 1000;
  }
  report.seconds = (performance.now() - started) / 1000;
  report.documentsPerSecond = report.documents / report.seconds;
  report.stepsPerSecond = steps / report.seconds;
  return report;
}

const STATUS_TEXT: Record<string, string> = {
  '01': 'Đã nhận văn bản', '02': 'Từ chối: văn bản gửi nhầm đơn vị', '03': 'Đã vào sổ văn bản đến', '04': 'Đã phân công xử lý',
  '05': 'Đang xử lý', '06': 'Đã hoàn thành xử lý', '13': 'Thu hồi do sai sót nội dung', '15': 'Đồng ý thu hồi', '16': 'Văn bản đã được xử lý, không thu hồi',
};

function notation(a: SimAgency): string {
  switch (a.role) {
    case 'commune': return 'UBND-VP';
    case 'province': return 'UBND-TH';
    case 'department': return 'SO-VP';
    default: return 'VP';
  }
}

export function startOfVnDay(t: number): number {
  return Math.floor((t + VN_UTC_OFFSET_MS) / DAY_MS) * DAY_MS - VN_UTC_OFFSET_MS;
}

function vnDate(t: number): string {
  return new Date(t + VN_UTC_OFFSET_MS).toISOString().slice(0, 10).replaceAll('-', '/');
}

/** A binary min-heap of steps by time; ties keep no particular order. */
class StepQueue {
  readonly #a: Step[] = [];
  get size(): number { return this.#a.length; }
  peek(): Step | undefined { return this.#a[0]; }
  push(s: Step): void {
    const a = this.#a;
    a.push(s);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((a[p] as Step).at <= s.at) break;
      a[i] = a[p] as Step;
      i = p;
    }
    a[i] = s;
  }
  pop(): Step | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (a.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      const at = (k: number): number => (k === i ? last.at : (a[k] as Step).at);
      if (l < a.length && at(l) < at(m)) m = l;
      if (r < a.length && at(r) < at(m)) m = r;
      if (m === i) break;
      a[i] = a[m] as Step;
      i = m;
    }
    a[i] = last;
    return top;
  }
}
