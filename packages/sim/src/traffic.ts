// The traffic model: how many documents the nation sends, when, from whom to whom, and how each recipient
// system behaves with what it gets. Figures from the seeds (DESIGN.md): about 200,000 documents a month
// nationally, about three recipients per document (163,107 sent, 488,165 received in the first year), weekday
// and office-hour peaks, most documents between provinces and their communes and to and from the centre.

import { VN_UTC_OFFSET_MS } from '@vdxp/edxml';
import { Prng } from './prng.ts';
import type { NationalRegistry, SimAgency } from './registry.ts';

export const MONTHLY_DOCUMENTS_NATIONAL = 200_000;
const DAY_MS = 24 * 3600 * 1000;
const HOUR_MS = 3600 * 1000;
const MINUTE_MS = 60 * 1000;

/** Share of a weekday's documents sent in each Việt Nam hour (0–23): office hours, a lunch dip, 9–10 and 14–15 peaks. */
const HOUR_WEIGHTS: readonly number[] = [0, 0, 0, 0, 0, 0, 0.2, 1.5, 4, 6, 5.5, 3.5, 1, 2, 5, 5.5, 4.5, 2, 0.8, 0.4, 0.3, 0.2, 0.1, 0];
/** Sunday … Saturday, relative to a weekday. */
const WEEKDAY_WEIGHTS: readonly number[] = [0.02, 1, 1, 1, 1, 1, 0.06];
const WEEK_WEIGHT = WEEKDAY_WEIGHTS.reduce((a, b) => a + b, 0) / 7;

/** How a recipient system answers what it receives. */
export const BEHAVIOURS = ['prompt', 'late', 'sitter'] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

export interface PlannedDocument {
  at: number;
  from: SimAgency;
  to: string[];
  subject: number;
  /** A number unique in the run: with the sender's code it makes the DocumentId. */
  serial: number;
}

/** One step a recipient takes on a delivery, `after` ms after the previous one. */
export interface RecipientStep {
  after: number;
  action: 'fetch' | '01' | '02' | '03' | '04' | '05' | '06';
}

export interface TrafficOptions {
  seed: number;
  /** Scales the national volume (1 = about 200,000 documents a month). */
  rate: number;
  /** Legacy codes (merged or dissolved) that some senders still address, so redirection is exercised. */
  legacyCodes?: readonly string[];
}

export class TrafficModel {
  readonly #reg: NationalRegistry;
  readonly #rate: number;
  readonly #seed: number;
  readonly #legacy: readonly string[];
  readonly #byRole: Map<string, SimAgency[]>;
  readonly #byCode: Map<string, SimAgency>;
  readonly #provinces: SimAgency[];
  readonly #behaviour = new Map<string, Behaviour>();
  #serial = 0;

  constructor(reg: NationalRegistry, o: TrafficOptions) {
    this.#reg = reg;
    this.#rate = o.rate;
    this.#seed = o.seed;
    this.#legacy = o.legacyCodes ?? [];
    this.#byRole = new Map();
    this.#byCode = new Map(reg.agencies.map((a) => [a.code, a]));
    for (const a of reg.agencies) this.#byRole.set(a.role, [...(this.#byRole.get(a.role) ?? []), a]);
    this.#provinces = this.#byRole.get('province') ?? [];
    const rng = new Prng(o.seed).fork('behaviour');
    for (const s of reg.systems) {
      const r = rng.next();
      this.#behaviour.set(s.id, r < 0.65 ? 'prompt' : r < 0.9 ? 'late' : 'sitter');
    }
  }

  behaviourOf(systemId: string): Behaviour {
    return this.#behaviour.get(systemId) ?? 'prompt';
  }

  /** The documents expected on the Việt Nam day starting at `dayStart` (UTC ms of 00:00 UTC+7), in time order. */
  day(dayStart: number): PlannedDocument[] {
    const rng = new Prng(this.#seed).fork(`day:${dayStart}`);
    const weekday = new Date(dayStart + VN_UTC_OFFSET_MS).getUTCDay();
    const mean = (MONTHLY_DOCUMENTS_NATIONAL * 12 / 365) * this.#rate * (WEEKDAY_WEIGHTS[weekday] ?? 1) / WEEK_WEIGHT;
    // ±10% from day to day, so days are not all alike.
    const count = Math.max(0, Math.round(mean * (0.9 + 0.2 * rng.next())));
    const out: PlannedDocument[] = [];
    for (let i = 0; i < count; i++) out.push(this.document(rng, dayStart + this.timeOfDay(rng)));
    return out.sort((a, b) => a.at - b.at);
  }

  /** One document sent at `at`, its flow drawn from the national mix. */
  document(rng: Prng, at: number): PlannedDocument {
    const r = rng.next();
    const province = rng.pick(this.#provinces);
    const communes = this.#reg.communesOf.get(province.code) ?? [];
    const departments = this.#reg.departmentsOf.get(province.code) ?? [];
    const provinceSide = (): string => (rng.chance(0.5) ? province.code : rng.pick(departments));
    let from: string;
    let to: string[];
    if (r < 0.32) {
      // Province or a department to its communes: often several, sometimes all of them.
      from = provinceSide();
      to = this.some(rng, communes);
    } else if (r < 0.55) {
      from = rng.pick(communes);
      to = [provinceSide()];
    } else if (r < 0.68) {
      from = provinceSide();
      to = [rng.pick([province.code, ...departments].filter((c) => c !== from))];
    } else if (r < 0.82) {
      // The centre to provinces.
      from = rng.pick(this.#reg.centre);
      to = this.some(rng, this.#provinces.map((p) => p.code));
    } else if (r < 0.94) {
      from = provinceSide();
      to = [rng.pick(this.#reg.centre)];
    } else {
      from = rng.pick(this.#reg.centre);
      to = [rng.pick(this.#reg.centre.filter((c) => c !== from))];
    }
    if (this.#legacy.length > 0 && rng.chance(0.01)) to = [...new Set([...to, rng.pick(this.#legacy)])].slice(0, 34);
    const sender = this.#byCode.get(from);
    if (!sender) throw new Error(`assertion: sender ${from} is in the registry`);
    return { at, from: sender, to, subject: rng.int(1000), serial: ++this.#serial };
  }

  /** What a recipient system does with one delivery: its steps, each after the previous. */
  recipientSteps(rng: Prng, behaviour: Behaviour): RecipientStep[] {
    const steps: RecipientStep[] = [];
    const m = (lo: number, hi: number): number => rng.between(lo * MINUTE_MS, hi * MINUTE_MS);
    const h = (lo: number, hi: number): number => rng.between(lo * HOUR_MS, hi * HOUR_MS);
    if (behaviour === 'sitter') {
      steps.push({ after: h(1, 72), action: 'fetch' });
      if (rng.chance(0.3)) steps.push({ after: m(1, 10), action: '01' });
      return steps;
    }
    const prompt = behaviour === 'prompt';
    steps.push({ after: prompt ? m(1, 15) : h(2, 48), action: 'fetch' }, { after: m(0, 5), action: '01' });
    if (rng.chance(0.02)) {
      steps.push({ after: prompt ? m(30, 240) : h(24, 72), action: '02' });
      return steps;
    }
    steps.push({ after: prompt ? m(30, 240) : h(24, 72), action: '03' });
    if (rng.chance(0.7)) steps.push({ after: prompt ? h(1, 24) : h(24, 96), action: '04' });
    if (rng.chance(0.5)) steps.push({ after: h(24, 72), action: '05' });
    if (rng.chance(prompt ? 0.8 : 0.5)) steps.push({ after: h(24, prompt ? 240 : 480), action: '06' });
    return steps;
  }

  /** What the sender does later: recall (13) about 1%, update or replacement about 0.5% each. */
  senderFollowUp(rng: Prng): { after: number; action: 'recall' | 'update' | 'replace' } | undefined {
    const r = rng.next();
    if (r < 0.01) return { after: rng.between(10 * MINUTE_MS, 48 * HOUR_MS), action: 'recall' };
    if (r < 0.015) return { after: rng.between(HOUR_MS, 72 * HOUR_MS), action: 'update' };
    if (r < 0.02) return { after: rng.between(HOUR_MS, 72 * HOUR_MS), action: 'replace' };
    return undefined;
  }

  /** A recipient's answer to a recall: agree (15) mostly. */
  recallAnswer(rng: Prng): { after: number; code: '15' | '16' } {
    return { after: rng.between(HOUR_MS, 24 * HOUR_MS), code: rng.chance(0.7) ? '15' : '16' };
  }

  private timeOfDay(rng: Prng): number {
    const total = HOUR_WEIGHTS.reduce((a, b) => a + b, 0);
    let x = rng.next() * total;
    let hour = 0;
    for (; hour < 23; hour++) {
      x -= HOUR_WEIGHTS[hour] ?? 0;
      if (x < 0) break;
    }
    return hour * HOUR_MS + rng.int(HOUR_MS);
  }

  /** One recipient mostly; a handful often; now and then a long list (at most 34, a packet's template limit). */
  private some(rng: Prng, codes: readonly string[]): string[] {
    const r = rng.next();
    const n = r < 0.6 ? 1 : r < 0.85 ? rng.between(2, 5) : rng.between(6, 34);
    const pool = [...codes];
    const out: string[] = [];
    while (out.length < Math.min(n, pool.length)) {
      const i = rng.int(pool.length);
      out.push(pool[i] as string);
      pool.splice(i, 1);
    }
    return out;
  }
}

export { DAY_MS, HOUR_MS, MINUTE_MS };
