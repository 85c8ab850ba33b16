// Waits for a condition in tests instead of sleeping a fixed time: polls until it holds or a deadline passes.
import { setTimeout as delay } from 'node:timers/promises';

/** Long enough for a loaded shared 2-core machine; a condition that never holds fails the test, not hangs it. */
const WAIT_FOR_TIMEOUT_MS_DEFAULT = 10_000;
/** Between checks: short, since what is awaited is usually one request or one event-loop hop away. */
const WAIT_FOR_POLL_INTERVAL_MS = 2;

export interface WaitForOptions {
  timeoutMs?: number;
  /** Named in the error when the condition never held. */
  what?: string;
}

/** Resolves once `predicate` returns true; rejects after `timeoutMs` saying what it waited for. */
export async function waitFor(predicate: () => boolean | Promise<boolean>, opts: WaitForOptions = {}): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? WAIT_FOR_TIMEOUT_MS_DEFAULT;
  const deadline = performance.now() + timeoutMs;
  while (!(await predicate())) {
    if (performance.now() > deadline) throw new Error(`waitFor: ${opts.what ?? 'the condition'} did not hold within ${timeoutMs} ms`);
    await delay(WAIT_FOR_POLL_INTERVAL_MS);
  }
}
