// The VDXP replay set shared by every node on one database: a signature is claimed by one statement, so two
// nodes receiving the same signed call at once cannot both see it fresh. A row whose time ran out is reused in
// place (the timestamp it carries is stale by then, so the window check alone refuses it); the sweep prunes.

import type pg from 'pg';
import type { Claim, ReplayClaims } from '../../http/vdxp/replay-cache.ts';

export class PgReplayClaims implements ReplayClaims {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** 'full' never: the table is bounded by the window × the call rate, and pruned by every sweep. */
  async claim(hash: string, until: number, now: number): Promise<Claim> {
    const r = await this.#pool.query(`INSERT INTO vdxp_signatures (hash, expires_at) VALUES ($1, $2)
      ON CONFLICT (hash) DO UPDATE SET expires_at = excluded.expires_at WHERE vdxp_signatures.expires_at < $3`, [hash, until, now]);
    return r.rowCount === 1 ? 'fresh' : 'replay';
  }

  async prune(now: number): Promise<number> {
    return (await this.#pool.query('DELETE FROM vdxp_signatures WHERE expires_at < $1', [now])).rowCount ?? 0;
  }
}
