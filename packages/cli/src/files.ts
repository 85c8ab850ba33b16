// Reading packet files as streams of slices: the CLI never holds a packet whole, whatever its size.

import { createReadStream } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, EXIT_CODES, type CliContext } from './context.ts';

/** Read slice size: large enough that a 1 GiB packet is 4096 reads, small enough to stay far from the memory bound. */
export const FILE_SLICE_BYTES = 256 * 1024;

export function resolveFile(ctx: CliContext, name: string): string {
  return resolve(ctx.cwd, name);
}

/**
 * The file's bytes in slices. A file that cannot be opened or read ends the command with exit 2, whoever is
 * consuming the slices; errors of the consumer (a parser refusal) pass through untouched.
 */
export async function* fileSlices(path: string, start = 0, end?: number): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: FILE_SLICE_BYTES, start, end })) yield chunk as Buffer;
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${(e as Error).message}`, EXIT_CODES.usage, { cause: e });
  }
}

/** Reads at most `bytes` from the start of a file (payload sniffing). */
export async function fileHead(path: string, bytes: number): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of fileSlices(path, 0, bytes - 1)) parts.push(chunk);
  return Buffer.concat(parts);
}
