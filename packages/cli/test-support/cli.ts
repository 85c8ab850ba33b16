// For the CLI's tests: run one command line in-process and get back its exit code and captured output.

import { Readable, Writable } from 'node:stream';
import type { CliIo } from '../src/context.ts';
import { runCli } from '../src/program.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout as bytes (packets written by build). */
  stdoutBytes: Buffer;
}

class Capture extends Writable {
  readonly parts: Buffer[] = [];

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.parts.push(Buffer.from(chunk));
    done();
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A fixed clock: 2026/03/01 10:20:30 in Vietnam (03:20:30 UTC). */
export const TEST_NOW = new Date('2026-03-01T03:20:30Z');

export async function cli(argv: readonly string[], io: Partial<Pick<CliIo, 'cwd' | 'now' | 'env'>> & { stdin?: string } = {}): Promise<CliRun> {
  const stdout = new Capture();
  const stderr = new Capture();
  const code = await runCli(argv, {
    stdout, stderr, now: io.now ?? (() => TEST_NOW), cwd: io.cwd ?? process.cwd(), env: io.env ?? {},
    ...(io.stdin !== undefined ? { stdin: Readable.from([Buffer.from(io.stdin)]) } : {}),
  });
  return { code, stdout: stdout.bytes().toString('utf8'), stderr: stderr.bytes().toString('utf8'), stdoutBytes: stdout.bytes() };
}
