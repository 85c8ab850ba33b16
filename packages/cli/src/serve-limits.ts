// The limits an operator tunes on `vdxp serve`: flags with sizes (512MiB) and durations (30d), a JSON config
// file with HubLimits' names, flags over the file, every value checked by the hub's operatorLimits, and the
// one block that says at start what the hub runs with.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';
import { changedLimits, HubError, limitsFromConfig, operatorLimits, type HubLimits, type HubLimitsOverrides } from '@vdxp/hub';
import { CliError, EXIT_CODES } from './context.ts';
import { formatSeconds } from './duration.ts';

/** The limit flags as commander hands them over (already parsed by the functions below). */
export interface LimitFlags {
  config?: string;
  packetBytesMax?: number;
  deliveryAttemptsMax?: number;
  deliveryTtl?: number;
}

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };

/** `1073741824`, `512MiB`, `1GiB` (binary units only: "MB" would leave 1000 or 1024 to guess) → bytes. */
export function byteSizeArg(value: string): number {
  const m = /^(\d+)\s*([a-z]*)$/i.exec(value.trim());
  const unit = m ? BYTE_UNITS[(m[2] ?? '').toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new InvalidArgumentError('a size in bytes: a whole number, optionally with KiB, MiB, GiB or TiB (e.g. 512MiB)');
  return Number(m[1]) * unit;
}

/** A whole number, range-checked later with the other limits. */
export function countArg(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('a whole number');
  return Number(value);
}

/**
 * The limits `vdxp serve` runs with: the defaults, then the config file, then the flags. A refusal is a usage
 * error (exit 2) carrying VDXP_E_LIMIT_INVALID and the key, and the file's name when it came from there.
 */
export function serveLimits(flags: LimitFlags, cwd: string): HubLimits {
  let fromFile: HubLimitsOverrides = {};
  if (flags.config !== undefined) {
    const path = resolve(cwd, flags.config);
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new CliError(`--config ${flags.config}: không đọc được JSON / not readable as JSON: ${(e as Error).message}`, EXIT_CODES.usage, { cause: e });
    }
    try {
      fromFile = limitsFromConfig(json);
    } catch (e) {
      throw refusal(`--config ${flags.config}`, e);
    }
  }
  const fromFlags: HubLimitsOverrides = {
    ...(flags.deliveryAttemptsMax !== undefined ? { deliveryAttemptsMax: flags.deliveryAttemptsMax } : {}),
    ...(flags.deliveryTtl !== undefined ? { deliveryTtlSeconds: flags.deliveryTtl } : {}),
  };
  const edxml = { ...fromFile.edxml, ...(flags.packetBytesMax !== undefined ? { packetBytesMax: flags.packetBytesMax } : {}) };
  try {
    return operatorLimits({ ...fromFile, ...fromFlags, edxml });
  } catch (e) {
    throw refusal(flags.config !== undefined ? `flags and --config ${flags.config}` : 'flags', e);
  }
}

function refusal(source: string, e: unknown): unknown {
  if (e instanceof HubError) return new CliError(`${source}: ${e.code}: ${e.message}`, EXIT_CODES.usage, { cause: e });
  return e;
}

/** `1 GiB`, `512 MiB`, `1000 B`: the largest binary unit that divides the value, so what prints can be typed back. */
export function formatByteSize(bytes: number): string {
  for (const [unit, n] of [['TiB', 1024 ** 4], ['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (bytes % n === 0) return `${bytes / n} ${unit}`;
  }
  return `${bytes} B`;
}

/** The start-up block: the three limits operators tune, then any other that differs from its default. */
export function limitsBanner(limits: HubLimits): string[] {
  const tuned = new Set(['edxml.packetBytesMax', 'deliveryAttemptsMax', 'deliveryTtlSeconds']);
  const others = changedLimits(limits).filter((kv) => !tuned.has(kv.slice(0, kv.indexOf('='))));
  return [
    `  Giới hạn / Limits: gói tin / packet ≤ ${formatByteSize(limits.edxml.packetBytesMax)} (packetBytesMax), `
      + `${limits.deliveryAttemptsMax} lần giao lỗi / failed deliveries (deliveryAttemptsMax), `
      + `hạn giao / delivery TTL ${formatSeconds(limits.deliveryTtlSeconds)} (deliveryTtlSeconds)`,
    ...(others.length > 0 ? [`    khác mặc định / other than default: ${others.join(', ')}`] : []),
  ];
}
