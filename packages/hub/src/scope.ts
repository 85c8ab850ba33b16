// What a console account may see: an agency code and every unit under it, read from the code's structure
// (QCVN 102: a unit's code keeps its parents' groups, `000.00.15.H41` is under `000.00.00.H41`), so a query
// filters 111,000 agencies or millions of deliveries with one LIKE instead of walking the registry's tree.

import { parseAgencyCode } from '@vdxp/edxml';
import { HubError } from './errors.ts';
import type { AgencyPattern } from './store/store.ts';

/**
 * The LIKE pattern of the agencies under `scope` (itself included); null scope is everything. Legacy codes:
 * the zero groups left of the lowest named unit become wildcards (`000.00.00.H41` → `___.__.__.H41`). QĐ20
 * level-1 codes (`H41`) cover `H41` and `H41.…`; any other code covers itself only.
 */
export function scopePattern(scope: string | null): AgencyPattern {
  if (scope === null) return null;
  checkScope(scope);
  const c = parseAgencyCode(scope);
  if (c.form === 'legacy') {
    const lower = c.groups.slice(0, 3);
    const lowest = lower.findIndex((g) => !/^0+$/.test(g));
    const named = lowest === -1 ? 3 : lowest;
    return [...lower.map((g, i) => (i < named ? '_'.repeat(g.length) : g)), c.level1].join('.');
  }
  if (c.form === 'qd20' && /^[A-Z]\d{2}$/.test(scope)) return `${scope}%`;
  return scope;
}

/** Whether `code` is under `scope` (null: everything): the same rule as scopePattern, in JavaScript. */
export function inScope(scope: string | null, code: string): boolean {
  const pattern = scopePattern(scope);
  if (pattern === null) return true;
  const re = new RegExp(`^${pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/_/g, '.').replace(/%/g, '.*')}$`, 's');
  return re.test(code);
}

/** A scope is an agency code without LIKE's own characters (which would widen it). */
export function checkScope(scope: string): void {
  if (/[%_\\]/.test(scope)) throw new HubError('VDXP_E_BAD_REQUEST', `A scope is an agency code; ${JSON.stringify(scope)} contains %, _ or \\`);
  parseAgencyCode(scope);
}
