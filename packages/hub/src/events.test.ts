// The long-poll notifier's watch armed before a system's agencies are known: what it heard meanwhile counts as
// a wake only for those agencies, once they are named.

import { strict as assert } from 'node:assert';
import { setImmediate as tick } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { InboxNotifier } from './events.ts';

/** Whether the promise settled by the next turn of the event loop. */
async function settled(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => { done = true; });
  await tick();
  return done;
}

describe('InboxNotifier.watch', () => {
  it('counts a recipient heard before narrow as a wake when it is one of the agencies named', async () => {
    const n = new InboxNotifier();
    const w = n.watch();
    n.notify(['OTHER', 'MINE']);
    w.narrow(new Set(['MINE']));
    assert.equal(await settled(w.next(60_000)), true, 'the wake heard before the agencies were known is kept');
    w.close();
  });

  it('ignores what it heard for other agencies, then wakes on its own', async () => {
    const n = new InboxNotifier();
    const w = n.watch();
    n.notify(['OTHER']);
    w.narrow(new Set(['MINE']));
    const next = w.next(60_000);
    assert.equal(await settled(next), false, 'a recipient that is not ours is no wake');
    n.notify(['ANOTHER']);
    assert.equal(await settled(next), false);
    n.notify(['MINE']);
    assert.equal(await settled(next), true);
    w.close();
    assert.equal(n.waiting, 0);
  });

  it('wakes rather than keep more recipients than its bound before narrow', async () => {
    const n = new InboxNotifier();
    const w = n.watch();
    n.notify(Array.from({ length: 10_001 }, (_, i) => `A${i}`));
    w.narrow(new Set(['MINE']));
    assert.equal(await settled(w.next(60_000)), true);
    w.close();
  });

  it('is woken by close and wakeAll before narrow too', async () => {
    const n = new InboxNotifier();
    const w = n.watch();
    n.wakeAll();
    w.narrow(new Set(['MINE']));
    assert.equal(await settled(w.next(60_000)), true);
    w.close();
  });
});
