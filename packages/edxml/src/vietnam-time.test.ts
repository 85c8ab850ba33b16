// Việt Nam time: known answers across the day and year boundary, whatever the machine's zone.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { edxmlTimestamp, isEdxmlTimestamp } from './index.ts';

it('writes an instant as Việt Nam wall-clock time in edXML form', () => {
  // 16:59:59 UTC is still the same day in Hà Nội; 17:00 UTC is midnight of the next one.
  assert.equal(edxmlTimestamp(Date.UTC(2026, 10, 23, 16, 59, 59)), '2026/11/23 23:59:59');
  assert.equal(edxmlTimestamp(Date.UTC(2026, 10, 23, 17, 0, 0)), '2026/11/24 00:00:00');
  assert.equal(edxmlTimestamp(Date.UTC(2026, 11, 31, 18, 30, 5, 999)), '2027/01/01 01:30:05');
  assert.equal(edxmlTimestamp(Date.UTC(2026, 5, 1, 0, 0, 0)), '2026/06/01 07:00:00', 'no daylight saving in summer');
  assert.ok(isEdxmlTimestamp(edxmlTimestamp(Date.UTC(2028, 1, 28, 17, 0, 0))), 'the leap day is a real date');
  assert.equal(edxmlTimestamp(Date.UTC(2028, 1, 28, 17, 0, 0)), '2028/02/29 00:00:00');
});
