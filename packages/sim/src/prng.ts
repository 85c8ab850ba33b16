// A small seeded random source (mulberry32): the registry, the traffic and the behaviours repeat from a seed.

export class Prng {
  #s: number;
  constructor(seed: number) { this.#s = seed >>> 0; }

  /** A float in [0, 1). */
  next(): number {
    this.#s = (this.#s + 0x6d2b79f5) >>> 0;
    let t = this.#s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }

  /** An integer in [lo, hi]. */
  between(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('assertion: pick from a non-empty list');
    return item;
  }

  chance(p: number): boolean { return this.next() < p; }

  /** A new generator whose stream depends only on this seed and `label`, so adding draws elsewhere changes nothing here. */
  fork(label: string): Prng {
    let h = this.#s ^ 0x9e3779b9;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new Prng(h >>> 0);
  }
}
