// Signatures seen within the replay window, so a captured XroadVnpt-hash-header cannot be used twice where
// reuse is refused (strict systems, registerAgency: see auth.ts).
//
// In memory, bounded in size and time: right for the embedded hub, which is one process. Several hub processes
// behind a load balancer would each see only their own share, so on PostgreSQL the set is shared instead: the
// table `vdxp_signatures(hash PRIMARY KEY, expires_at)` (store/postgres/replay.ts), pruned by the sweep. A
// restart forgets the in-memory set, which is safe only because the window is short: a replay after a restart
// is still refused once its timestamp is stale.

export type Claim = 'fresh' | 'replay' | 'full';

/** Where signatures are claimed: this process's memory, or a table every node shares. */
export interface ReplayClaims {
  claim(hash: string, until: number, now: number): Claim | Promise<Claim>;
}

export class ReplayCache implements ReplayClaims {
  /** hash → time after which the signature's timestamp is stale, so the entry is no longer needed. */
  readonly #seen = new Map<string, number>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /**
   * Records `hash` until `until`, or says it was seen. 'full' when `max` live signatures are held: refusing
   * a call is better than forgetting a live signature, which would let a replay through.
   */
  claim(hash: string, until: number, now: number): Claim {
    const known = this.#seen.get(hash);
    if (known !== undefined && known >= now) return 'replay';
    // Entries arrive roughly in expiry order: drop stale ones from the front, the usual case costs O(1).
    for (const [k, expiry] of this.#seen) {
      if (expiry >= now) break;
      this.#seen.delete(k);
    }
    if (this.#seen.size >= this.#max) {
      // Timestamps within the window can arrive out of order; one full pass before refusing.
      for (const [k, expiry] of this.#seen) if (expiry < now) this.#seen.delete(k);
      if (this.#seen.size >= this.#max) return 'full';
    }
    this.#seen.delete(hash);
    this.#seen.set(hash, until);
    return 'fresh';
  }

  get size(): number {
    return this.#seen.size;
  }
}
