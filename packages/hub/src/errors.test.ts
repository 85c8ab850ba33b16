// docs/errors.md, the code catalogues and the HTTP statuses stay in step: every code has exactly one line
// with the same status, and the table names no code that the code base does not have.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { EDXML_ERRORS } from '@vdxp/edxml';
import { HUB_ERRORS } from './errors.ts';

it('docs/errors.md lists every error code with its HTTP status, and nothing else', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, number>();
  for (const line of doc.split('\n')) {
    const m = /^\|\s*(VDXP_E_[A-Z0-9_]+)\s*\|\s*(\d{3})\s*\|/.exec(line);
    if (!m) continue;
    assert.ok(!rows.has(m[1] as string), `${m[1]} has two lines`);
    rows.set(m[1] as string, Number(m[2]));
  }
  const catalogue = new Map<string, number>([
    ...Object.entries(EDXML_ERRORS).map(([k, v]) => [k, v.status] as const),
    ...Object.entries(HUB_ERRORS).map(([k, v]) => [k, v.status] as const),
  ]);
  for (const [code, status] of catalogue) assert.equal(rows.get(code), status, `${code}: docs/errors.md says ${rows.get(code)}, the code says ${status}`);
  for (const code of rows.keys()) assert.ok(catalogue.has(code), `docs/errors.md lists ${code}, which no catalogue defines`);
});
