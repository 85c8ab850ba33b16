// Puts the simulated national registry (and optionally the legacy directory) into a hub through the registry's
// own functions, so every row has its evidence event. Idempotent: what exists already is left alone, and
// systems that exist keep their credentials (only new ones are returned).

import { addSystem, importAgencies, mergeAgency, dissolveAgency, type Credentials, type HubContext } from '@vdxp/hub';
import { legacyDirectory, type NationalRegistry } from './registry.ts';

export const SIM_ACTOR = 'vdxp-simulate';

export interface SeedResult {
  agenciesAdded: number;
  changesApplied: number;
  systemsAdded: Credentials[];
  systemsExisting: string[];
  /** The legacy codes now listed (merged or dissolved), for the traffic model to address now and then. */
  legacyCodes: string[];
}

/** Agency-state changes run this many at a time, so the store's group commit covers them with few fsyncs. */
const CHANGES_IN_FLIGHT = 200;
/** Rows per import transaction. */
const IMPORT_ROWS_PER_BATCH = 20_000;

export async function seedNational(ctx: HubContext, reg: NationalRegistry, o: { legacy?: { seed: number; total: number } } = {}): Promise<SeedResult> {
  const drafts = [
    ...reg.agencies.map(({ code, name, parent, level }) => ({ code, name, ...(parent ? { parent } : {}), ...(level ? { level } : {}) })),
    ...reg.mergedProvinces.map(({ code, name }) => ({ code, name })),
  ];
  const changes: { code: string; state: 'merged' | 'dissolved'; successor: string }[] = reg.mergedProvinces.map((m) => ({ code: m.code, state: 'merged', successor: m.into }));
  if (o.legacy) {
    const legacy = legacyDirectory(reg, o.legacy.seed, o.legacy.total);
    drafts.push(...legacy.agencies);
    changes.push(...legacy.changes);
  }
  const missing = [];
  for (const d of drafts) if (!(await ctx.store.getAgency(d.code))) missing.push(d);
  for (let i = 0; i < missing.length; i += IMPORT_ROWS_PER_BATCH) await importAgencies(ctx, missing.slice(i, i + IMPORT_ROWS_PER_BATCH), SIM_ACTOR);

  let changesApplied = 0;
  const pending = [];
  for (const c of changes) {
    const a = await ctx.store.getAgency(c.code);
    if (a?.state === 'active') pending.push(c);
  }
  for (let i = 0; i < pending.length; i += CHANGES_IN_FLIGHT) {
    await Promise.all(pending.slice(i, i + CHANGES_IN_FLIGHT).map((c) =>
      c.state === 'merged' ? mergeAgency(ctx, c.code, c.successor, SIM_ACTOR) : dissolveAgency(ctx, c.code, c.successor, SIM_ACTOR)));
    changesApplied += Math.min(CHANGES_IN_FLIGHT, pending.length - i);
  }

  const result: SeedResult = { agenciesAdded: missing.length, changesApplied, systemsAdded: [], systemsExisting: [], legacyCodes: changes.map((c) => c.code) };
  for (const s of reg.systems) {
    if (await ctx.store.getSystem(s.id)) {
      result.systemsExisting.push(s.id);
      continue;
    }
    result.systemsAdded.push(await addSystem(ctx, { id: s.id, name: s.name, agencies: s.agencies }, SIM_ACTOR));
  }
  return result;
}
