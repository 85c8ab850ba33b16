// The committed example packets are exactly what scripts/examples/make.ts writes, and nothing else is there.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { EXAMPLES_OUT, makeExamples } from './make.ts';

describe('example packets', () => {
  it('are the generator\'s output, byte for byte (run `node scripts/examples/make.ts` after changing it)', () => {
    const made = makeExamples();
    assert.deepEqual(readdirSync(EXAMPLES_OUT).sort(), made.map((e) => e.file).sort());
    for (const e of made) assert.ok(readFileSync(new URL(e.file, EXAMPLES_OUT)).equals(e.bytes), e.file);
  });

  it('are the same on every run (no clock, no randomness)', () => {
    const a = makeExamples();
    const b = makeExamples();
    assert.deepEqual(a.map((e) => e.bytes.toString('base64')), b.map((e) => e.bytes.toString('base64')));
  });
});
