// `vdxp simulate --history`: months of national traffic written into a hub's store through the hub's own code
// (intake, fetch, ack, status routing, the sweep), each step at its simulated time, so counters, timelines,
// overdue flags and the evidence chain are what a hub that lived through those months would hold.
//
// Steps are kept in a time-ordered queue and run in rounds of up to `inFlight` at once, each with a clock fixed
// at its own time: the store's group commit then covers a round with few fsyncs. A step's follow-up (the next
// status, a recall) is queued when it finishes, so one delivery's steps never overlap.

import { ackDelivery, fetchPacket, HubError, submitPacket, sweep, type Hub, type HubContext, type SystemRecord } from '@vdxp/hub';
import { VN_UTC_OFFSET_MS } from '@vdxp/edxml';
import { PacketMaker } from './packets.ts';
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
  /** Steps run at once (default 64). */
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
  run: (ctx: HubContext) => Promise<void>;
}

export async function writeHistory(hub: Hub, reg: NationalRegistry, o: HistoryOptions): Promise<HistoryReport> {
  const started = performance.now();
  const inFlight = o.inFlight ?? 64;
  const end = o.end ?? startOfVnDay(Date.now());
  const first = end - o.days * DAY_MS;
  const traffic = new TrafficModel(reg, { seed: o.seed, rate: o.rate, ...(o.legacyCodes ? { legacyCodes: o.legacyCodes } : {}) });
  const packets = await PacketMaker.create();
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
    documents: 0, deliveries: 0, fetches: 0, statuses: 0, recalls: 0, updates: 0, refused: {}, resent: 0, overdueFlagged: 0,
    seconds: 0, documentsPerSecond: 0, stepsPerSecond: 0, peakRssBytes: process.memoryUsage().rss,
    from: new Date(first).toISOString(), to: new Date(end).toISOString(),
  };
  const queue = new StepQueue();
  let steps = 0;
  const refuse = (e: unknown): void => {
    if (e instanceof HubError && EXPECTED_REFUSALS.has(e.code)) report.refused[e.code] = (report.refused[e.code] ?? 0) + 1;
    else throw e;
  };

  const sendStatus = async (ctx: HubContext, from: string, responseOrgan: string, documentId: string, code: string): Promise<boolean> => {
    try {
      const r = await submitPacket(ctx, system(from), [packets.status({ from, responseOrgan, documentId, code, description: STATUS_TEXT[code] ?? 'Mô phỏng', at: ctx.clock.now() })], { via: 'native' });
      if (!r.created) report.resent++;
      report.statuses++;
      return true;
    } catch (e) {
      refuse(e);
      return false;
    }
  };

  const send = async (ctx: HubContext, doc: PlannedDocument, businessType: 0 | 2 | 3 = 0, related?: string): Promise<void> => {
    const at = ctx.clock.now();
    const documentId = `${doc.from.code},${vnDate(at)},${doc.serial}${businessType === 0 ? '' : `-${businessType}`}/${notation(doc.from)}`;
    const bytes = packets.edoc({
      from: doc.from.code, to: doc.to, documentId, number: String(doc.serial), notation: notation(doc.from), subject: doc.subject, at, businessType,
      ...(related ? { relatedDocumentId: related } : {}),
    });
    const r = await submitPacket(ctx, system(doc.from.code), [bytes], { via: 'native' });
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
        if (!s) return;
        t += s.after;
        queue.push({ at: t, doc: documentId, run: async (c) => {
          if (s.action === 'fetch') {
            try {
              const p = await fetchPacket(c, recipientSystem, d.id);
              for await (const _ of p.stream) { /* read to the end: the digest is checked while streaming */ }
              await ackDelivery(c, recipientSystem, d.id, 'done');
              report.fetches++;
            } catch (e) {
              refuse(e);
              return;
            }
          } else if (!(await sendStatus(c, d.recipient, doc.from.code, documentId, s.action))) {
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
    queue.push({ at: at + follow.after, doc: documentId, run: async (c) => {
      if (follow.action === 'recall') {
        report.recalls++;
        for (const d of deliveries) {
          if (!(await sendStatus(c, doc.from.code, d.recipient, documentId, '13'))) continue;
          const answer = traffic.recallAnswer(rng);
          queue.push({ at: c.clock.now() + answer.after, doc: documentId, run: async (c2) => { await sendStatus(c2, d.recipient, doc.from.code, documentId, answer.code); } });
        }
        return;
      }
      report.updates++;
      await send(c, { ...doc, serial: doc.serial }, follow.action === 'update' ? 2 : 3, documentId);
    } });
  };

  const atTime = (at: number): HubContext => ({ ...hub.ctx, clock: { now: () => at } });
  let stop = false;
  for (let day = first; day < end && !stop; day += DAY_MS) {
    for (const doc of traffic.day(day)) {
      if (o.documentsMax !== undefined && doc.serial > o.documentsMax) {
        stop = true;
        break;
      }
      queue.push({ at: doc.at, doc: `new:${doc.serial}`, run: (c) => send(c, doc) });
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
      await Promise.all(round.map((s) => s.run(atTime(s.at))));
      steps += round.length;
    }
    // The sweep at the end of the day flags what went unanswered (the console's overdue figures).
    for (;;) {
      const swept = await sweep(atTime(dayEnd - 1));
      report.overdueFlagged += swept.overdue;
      if (swept.overdue + swept.expired < 500) break;
    }
    report.peakRssBytes = Math.max(report.peakRssBytes, process.memoryUsage().rss);
    o.onProgress?.({ day: vnDate(day), documents: report.documents, steps, seconds: (performance.now() - started) / 1000 });
  }
  // Steps planned past the end stay unplayed: a hub at `end` has them still to come.
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
