// A hub server in a child process (crash-server.ts) as the crash test and the benchmark drive it: spawn on a
// data folder, wait for its ready line, kill it, read its peak RSS. Every child is killed when we exit.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const CRASH_SERVER_PATH = fileURLToPath(new URL('./crash-server.ts', import.meta.url));

/** Lines of the child's stderr kept for the error message when it fails. */
const STDERR_LINES_KEPT = 40;
/** Longest a clean stop (SIGTERM) may take before the child is killed outright. */
const STOP_TIMEOUT_MS = 10_000;

export interface HubReady {
  port: number;
  url: string;
  recovery: { completed: number; removedStaged: number };
  /** Bearer tokens by system name, printed on the first start of a data folder only. */
  tokens: Record<string, string> | undefined;
}

const live = new Set<ChildProcess>();
/** Requests the servers failed, by route, error code and cause, over every child this process started. */
const serverErrors = new Map<string, number>();

export function hubServerErrors(): Record<string, number> {
  return Object.fromEntries(serverErrors);
}
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort (an assertion threw past every finally): no server outlives the process that started it.
  process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });
}

export class HubProcess {
  readonly child: ChildProcess;
  readonly ready: Promise<HubReady>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #stderr: string[] = [];
  #alive = true;

  /** Starts `node crash-server.ts <dataDir>`; `ready` settles when it listens (or rejects if it dies first). */
  constructor(dataDir: string, options: { startTimeoutMs: number; nodeArgs?: string[]; env?: Record<string, string>; onLine?: (msg: Record<string, unknown>) => void }) {
    installExitHook();
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), CRASH_SERVER_PATH, dataDir], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NODE_NO_WARNINGS: '1', ...options.env },
    });
    live.add(this.child);
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.#alive = false;
        live.delete(this.child);
        resolve({ code, signal });
      });
    });
    // Writing to the stdin of a child that was just killed fails with EPIPE; nothing is written, so ignore.
    this.child.stdin?.on('error', () => undefined);
    createInterface({ input: this.child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.startsWith('{"serverError"')) {
        try {
          const e = (JSON.parse(line) as { serverError: { route: string; code: string; message: string; cause?: string } }).serverError;
          // Paths differ per blob; the kind of failure is what counts.
          const key = `${e.route}: ${e.code}${e.cause ? ` (${e.cause.replace(/'[^']*'/g, '…')})` : ''}`;
          serverErrors.set(key, (serverErrors.get(key) ?? 0) + 1);
          return;
        } catch {
          // Not ours after all: keep it as a plain line.
        }
      }
      this.#stderr.push(line);
      if (this.#stderr.length > STDERR_LINES_KEPT) this.#stderr.shift();
    });
    this.ready = new Promise<HubReady>((resolve, reject) => {
      let tokens: Record<string, string> | undefined;
      const timer = setTimeout(() => {
        reject(new Error(`The hub child did not print its ready line within ${options.startTimeoutMs} ms. Its stderr:\n${this.stderrTail()}`));
      }, options.startTimeoutMs);
      createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
        let msg: { tokens?: Record<string, string>; ready?: boolean; port?: number; recovery?: HubReady['recovery'] };
        try {
          msg = JSON.parse(line) as typeof msg;
        } catch {
          return;
        }
        options.onLine?.(msg);
        if (msg.tokens) tokens = msg.tokens;
        if (msg.ready && typeof msg.port === 'number' && msg.recovery) {
          clearTimeout(timer);
          resolve({ port: msg.port, url: `http://127.0.0.1:${msg.port}`, recovery: msg.recovery, tokens });
        }
      });
      void this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`The hub child exited (code ${code}, signal ${signal}) before it was ready. Its stderr:\n${this.stderrTail()}`));
      });
    });
    // A caller that kills the child before it is ready does not await `ready`; keep that from being unhandled.
    this.ready.catch(() => undefined);
  }

  get alive(): boolean {
    return this.#alive;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  stderrTail(): string {
    return this.#stderr.join('\n');
  }

  /** Sends the signal and waits until the child is gone; false when it was gone already (nothing was sent). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<boolean> {
    if (!this.#alive) return false;
    this.child.kill(signal);
    if (signal === 'SIGKILL') {
      await this.exited;
      return true;
    }
    const timer = setTimeout(() => this.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await this.exited;
    clearTimeout(timer);
    return true;
  }

  /**
   * CPU time the child used so far (user + system, all its threads), in milliseconds, from /proc/PID/stat;
   * undefined once it exited. Divided by the work done, it is a cost that the machine's other load inflates
   * far less than a rate does.
   */
  cpuMs(): number | undefined {
    if (!this.#alive) return undefined;
    try {
      const stat = readFileSync(`/proc/${this.pid}/stat`, 'utf8');
      // Fields after the command's closing parenthesis; utime and stime are the 14th and 15th of the line.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ticks = Number(fields[11]) + Number(fields[12]);
      return ticks * (1000 / CLOCK_TICKS_PER_SECOND);
    } catch {
      return undefined;
    }
  }

  /** Peak resident set size of the child so far (VmHWM), in bytes; undefined once it exited. */
  peakRssBytes(): number | undefined {
    if (!this.#alive) return undefined;
    try {
      const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${this.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : undefined;
    } catch {
      return undefined;
    }
  }
}

/** Linux's USER_HZ: the unit of /proc's CPU times (100 on every Linux architecture we run on). */
const CLOCK_TICKS_PER_SECOND = 100;

/** Kills every child this process started that is still running (test teardown). */
export async function killAllHubProcesses(): Promise<void> {
  const waits = [...live].map((c) => new Promise<void>((resolve) => {
    if (c.exitCode !== null || c.signalCode !== null) { resolve(); return; }
    c.once('exit', () => resolve());
    c.kill('SIGKILL');
  }));
  await Promise.all(waits);
}
