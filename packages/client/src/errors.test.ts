// The client's own error codes are listed in docs/errors.md, as the hub's are.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { CLIENT_ERRORS } from './errors.ts';

it('docs/errors.md lists every client code, and no client code the client lacks', () => {
  const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
  const listed = [...doc.matchAll(/^\|\s*(VDXP_CLIENT_E_[A-Z0-9_]+)\s*\|/gm)].map((m) => m[1]);
  assert.deepEqual(listed.sort(), Object.keys(CLIENT_ERRORS).sort());
});
