// What every command gets: the streams it writes to, the clock, the working directory, and how it fails.
// Commands never call process.exit: they raise the exit code here or throw CliError, so tests run them
// in-process with captured output.

import type { Writable } from 'node:stream';

/** Exit codes of every vdxp command: success, a refused or invalid packet, a usage or file error. */
export const EXIT_CODES = { ok: 0, failed: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  /** Current time (timestamps of built packets); injected so tests are reproducible. */
  now: () => Date;
  /** Relative file names are resolved against this. */
  cwd: string;
  /** What `--password-stdin` reads (process.stdin when absent). */
  stdin?: NodeJS.ReadableStream;
  /** Environment (VDXP_TOKEN, VDXP_HUB); default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface CliContext extends CliIo {
  /** The exit code the run ends with; commands only raise it (see fail). */
  exitCode: ExitCode;
  /** Writes one line to stdout. */
  out: (line: string) => void;
  /** Writes one line to stderr. */
  err: (line: string) => void;
  /** Records that the run must end with at least this code, and carries on. */
  fail: (code: ExitCode) => void;
}

/** A failure that ends the command with a message on stderr and the given exit code. */
export class CliError extends Error {
  readonly exitCode: ExitCode;

  constructor(message: string, exitCode: ExitCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

export function createContext(io: CliIo): CliContext {
  const ctx: CliContext = {
    ...io,
    exitCode: EXIT_CODES.ok,
    out: (line) => { io.stdout.write(`${line}\n`); },
    err: (line) => { io.stderr.write(`${line}\n`); },
    fail: (code) => { if (code > ctx.exitCode) ctx.exitCode = code; },
  };
  return ctx;
}
