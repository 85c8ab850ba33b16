// Benchmark of the edxml package: parse and build throughput, per-packet latency and peak memory, from a
// header-only packet to a 1 GiB one. `tiny` runs in every test pass so the benchmark cannot rot; `full` is
// the real measurement (npm run bench).

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once as onceEvent } from 'node:events';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { buildPacket, buildPacketBytes, parsePacket, type PacketModel } from '@vdxp/edxml';

export const BENCH_SIZES = ['tiny', 'full'] as const;
export type BenchSize = (typeof BENCH_SIZES)[number];

export interface BenchResult {
  case: string;
  op: 'parse' | 'build';
  /** Bytes of one packet. */
  packetBytes: number;
  /** Decoded attachment bytes of one packet; for parse, what the parser measured (checked against what was encoded). */
  attachmentBytes: number;
  iterations: number;
  /** Packet bytes per second, in MB (10^6 bytes). */
  throughputMBPerSecond: number;
  /**
   * Packet bytes per second of this process's CPU time (user + system, GC threads included), in MB: steadier than
   * the wall clock on a machine shared with other work, where the wall clock also counts time spent waiting for a core.
   */
  cpuThroughputMBPerSecond: number;
  /** Per-packet latency; null where one packet is the whole measurement. */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  /** Highest RSS sampled during the case (every RSS_SAMPLE_MS, while the measured loop yields). */
  rssPeakMB: number;
  /** The process's peak RSS so far (getrusage maxrss): an upper bound that includes earlier cases. */
  rssMaxMB: number;
  /** The bound the case must stay under (the 1 GiB parse: 200 MB), when it has one. */
  rssBudgetMB: number | null;
}

export interface BenchOptions {
  size: BenchSize;
  /** Where the JSON lines and the table go; console.log by default. */
  log?: (line: string) => void;
}

const MB = 1e6;
const MIB = 1024 * 1024;
const RSS_SAMPLE_MS = 5;
/** Yield to the event loop after this many bytes, so that the RSS sampler's timer gets to run. */
const YIELD_EVERY_BYTES = 8 * MIB;
/** Raw attachment bytes per block: 3/4 MiB, whose base64 is exactly 1 MiB with no padding. */
const BLOCK_RAW_BYTES = (3 * MIB) / 4;
/** Slice size of the synthetic packet streams, like a file read. */
const SOURCE_SLICE_BYTES = 256 * 1024;
const ONE_GIB_RSS_BUDGET_MB = 200;
/** The attachment of the 10 kB case: with the full header, a packet of about 10 kB. */
const TEN_KB_ATTACHMENT_BYTES = 4700;
/**
 * The largest parse runs in a fresh process, so that its RSS is its own and not what earlier cases left in the
 * heap, with V8's young generation bounded as a hub deployment would run it. Why the bound: the parser's live
 * heap stays at 5–10 MB through a 1 GiB packet (sampled after forced GCs), but with default flags V8 grows
 * the young generation and old space lazily and RSS ended anywhere between 194 and 290 MB over five runs;
 * with --max-semi-space-size=8 it was 140–155 MB, at the same or better throughput.
 */
export const HUGE_CASE_NODE_FLAGS = ['--max-semi-space-size=8'] as const;
const CHILD_ARG = '--edxml-bench-huge-parse';

interface Plan {
  headerOnlyIterations: number;
  smallBlocks: number;
  smallIterations: number;
  largeBlocks: number;
  hugeBlocks: number;
}

// A "1 MB" packet is one 1 MiB base64 block; 100 MB is 100 blocks; 1 GiB is 1024 blocks (about 1.07 GB).
const PLANS: Readonly<Record<BenchSize, Plan>> = {
  full: { headerOnlyIterations: 5000, smallBlocks: 1, smallIterations: 100, largeBlocks: 100, hugeBlocks: 1024 },
  tiny: { headerOnlyIterations: 200, smallBlocks: 1, smallIterations: 5, largeBlocks: 4, hugeBlocks: 8 },
};

/** Runs the benchmark, logs one JSON line per case and a table, and returns the results. */
export async function benchEdxml(options: BenchOptions): Promise<BenchResult[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const plan = PLANS[options.size];
  const block = randomBytes(BLOCK_RAW_BYTES);
  const results: BenchResult[] = [];
  const record = (r: BenchResult): void => {
    results.push(r);
    log(JSON.stringify({ bench: 'edxml', size: options.size, ...r }));
  };

  const headerOnly = await buildPacketBytes({ header: fullHeader() });
  record(await perPacket('header-only', 'parse', plan.headerOnlyIterations, headerOnly.length, 0, async () => {
    const p = await parsePacket([headerOnly]);
    if (p.header.MessageHeader.To.length !== 2) throw new Error('assertion: the header-only packet parses whole');
  }));
  record(await perPacket('header-only', 'build', plan.headerOnlyIterations, headerOnly.length, 0, async () => {
    let bytes = 0;
    for await (const part of buildPacket({ header: fullHeader() })) bytes += part.length;
    if (bytes !== headerOnly.length) throw new Error('assertion: the header-only packet builds to the same size');
  }));

  // A typical document: the full header and a small attachment, about 10 kB in all.
  const tenKb = await buildPacketBytes(SyntheticPacket.model(block.subarray(0, TEN_KB_ATTACHMENT_BYTES)));
  record(await perPacket('10 kB', 'parse', plan.headerOnlyIterations, tenKb.length, TEN_KB_ATTACHMENT_BYTES, async () => {
    const p = await parsePacket([tenKb]);
    if (p.attachments[0]?.bytes !== TEN_KB_ATTACHMENT_BYTES) throw new Error('assertion: the 10 kB packet parses whole');
  }));

  const small = await SyntheticPacket.create(block, plan.smallBlocks);
  const smallLabel = `${plan.smallBlocks} MiB base64`;
  const smallBytes = Buffer.concat([...small.slices()]);
  record(await perPacket(smallLabel, 'parse', plan.smallIterations, small.packetBytes, small.attachmentBytes, async () => {
    await small.parseAndCheck(sliced(smallBytes));
  }));
  record(await perPacket(smallLabel, 'build', plan.smallIterations, small.packetBytes, small.attachmentBytes, async () => {
    await small.buildAndCheck();
  }));

  const large = await SyntheticPacket.create(block, plan.largeBlocks);
  const largeLabel = `${plan.largeBlocks} MiB base64`;
  record(await once(largeLabel, 'parse', large, null, () => large.parseAndCheck(large.slices())));
  record(await once(largeLabel, 'build', large, null, () => large.buildAndCheck()));

  record(await hugeParseInChild(plan.hugeBlocks, options.size === 'full' ? ONE_GIB_RSS_BUDGET_MB : null));

  for (const line of table(results)) log(line);
  return results;
}

/** A complete edoc header, as real systems send it (about 2.5 KB), so header-only figures mean something. */
function fullHeader(): PacketModel['header'] {
  return {
    MessageHeader: {
      From: {
        OrganId: '000.00.00.G22', OrganizationInCharge: 'Chính phủ', OrganName: 'Văn phòng Chính phủ',
        OrganAdd: 'Số 1 Hoàng Hoa Thám, Ba Đình, Hà Nội', Email: 'vpcp@chinhphu.vn', Telephone: '080 43162', Fax: '080 44130',
        Website: 'chinhphu.vn',
      },
      To: [
        { OrganId: '000.00.00.H41', OrganName: 'UBND Tỉnh Nghệ An', OrganAdd: 'Số 03, đường Trường Thi, Thành phố Vinh, Tỉnh Nghệ An' },
        { OrganId: '000.00.00.H14', OrganName: 'UBND Tỉnh Cao Bằng', OrganAdd: 'Số 011 Hoàng Đình Giong, Thành phố Cao Bằng' },
      ],
      DocumentId: '000.00.00.G22,2026/03/01,7816/VPCP-TTĐT',
      Code: { CodeNumber: '7816', CodeNotation: 'VPCP-TTĐT' },
      PromulgationInfo: { Place: 'Hà Nội', PromulgationDate: '2026/03/01' },
      DocumentType: { Type: '1', TypeDetail: '0', TypeName: 'Công văn' },
      Subject: 'Về việc triển khai kết nối, liên thông phần mềm quản lý văn bản qua Trục liên thông văn bản quốc gia',
      Content: 'Thực hiện chỉ đạo của Thủ tướng Chính phủ về việc gửi, nhận văn bản điện tử giữa các cơ quan trong hệ thống hành chính nhà nước, '
        + 'Văn phòng Chính phủ đề nghị các cơ quan hoàn thành kết nối trước ngày 31 tháng 3.',
      SignerInfo: { Competence: 'KT. Bộ trưởng, Chủ nhiệm', Position: 'Phó Chủ nhiệm', FullName: 'Nguyễn Văn A' },
      DueDate: '2026/03/31',
      ToPlaces: ['Như trên', 'Lưu: VT, TTĐT'],
      OtherInfo: {
        Priority: '1', SphereOfPromulgation: 'Liên thông văn bản quốc gia', TyperNotation: 'TTĐT', PromulgationAmount: '2',
        PageAmount: '3', Direction: 'false', Appendixes: ['Phụ lục I: Danh sách cơ quan', 'Phụ lục II: Hướng dẫn kỹ thuật'],
      },
      ResponseFor: [],
      SteeringType: '0',
    },
    TraceHeaderList: {
      TraceHeader: [{ OrganId: '000.00.00.G22', Timestamp: '2026/03/01 10:15:00' }],
      Bussiness: { BussinessDocType: '0', Paper: '0', StaffInfo: { Department: 'Văn thư', Staff: 'Trần Thị B', Email: 'vanthu@chinhphu.vn', Mobile: '0912000001' } },
    },
  };
}

/**
 * A packet whose one attachment is `blocks` copies of a random block. Built once with a sentinel payload and
 * split around it, so that parsing can stream the packet from prefix, repeated base64 and suffix without
 * ever holding it, and without paying for generation inside the measured time.
 */
class SyntheticPacket {
  readonly prefix: Buffer;
  readonly suffix: Buffer;
  readonly block: Buffer;
  readonly blockBase64: Buffer;
  readonly blocks: number;

  private constructor(prefix: Buffer, suffix: Buffer, block: Buffer, blocks: number) {
    this.prefix = prefix;
    this.suffix = suffix;
    this.block = block;
    this.blockBase64 = Buffer.from(block.toString('base64'), 'latin1');
    this.blocks = blocks;
  }

  static async create(block: Buffer, blocks: number): Promise<SyntheticPacket> {
    const sentinel = Buffer.from('vdxp-bench-sentinel');
    const text = (await buildPacketBytes(this.model(sentinel))).toString('latin1');
    const at = text.indexOf(sentinel.toString('base64'));
    if (at === -1) throw new Error('assertion: the sentinel payload is in the built packet');
    const prefix = Buffer.from(text.slice(0, at), 'latin1');
    const suffix = Buffer.from(text.slice(at + sentinel.toString('base64').length), 'latin1');
    return new SyntheticPacket(prefix, suffix, block, blocks);
  }

  static model(content: Uint8Array | Iterable<Uint8Array>): PacketModel {
    return { header: fullHeader(), attachments: [{ ContentId: 'cid:1', AttachmentName: 'scan.pdf', ContentType: 'application/pdf', content }] };
  }

  get attachmentBytes(): number {
    return this.block.length * this.blocks;
  }

  get packetBytes(): number {
    return this.prefix.length + this.blockBase64.length * this.blocks + this.suffix.length;
  }

  /** The packet in slices of SOURCE_SLICE_BYTES (views, never copies). */
  *slices(): Generator<Buffer> {
    yield this.prefix;
    for (let i = 0; i < this.blocks; i++) {
      for (let at = 0; at < this.blockBase64.length; at += SOURCE_SLICE_BYTES) yield this.blockBase64.subarray(at, at + SOURCE_SLICE_BYTES);
    }
    yield this.suffix;
  }

  async parseAndCheck(source: Iterable<Buffer>): Promise<void> {
    const p = await parsePacket(yielding(source));
    if (p.attachments[0]?.bytes !== this.attachmentBytes) {
      throw new Error(`assertion: parsed ${p.attachments[0]?.bytes} attachment bytes, encoded ${this.attachmentBytes}`);
    }
  }

  async buildAndCheck(): Promise<void> {
    const block = this.block;
    const blocks = this.blocks;
    function* content(): Generator<Buffer> { for (let i = 0; i < blocks; i++) yield block; }
    let bytes = 0;
    for await (const part of yielding(buildPacket(SyntheticPacket.model(content())))) bytes += part.length;
    if (bytes !== this.packetBytes) throw new Error(`assertion: built ${bytes} bytes, expected ${this.packetBytes}`);
  }
}

function* sliced(bytes: Buffer): Generator<Buffer> {
  for (let at = 0; at < bytes.length; at += SOURCE_SLICE_BYTES) yield bytes.subarray(at, at + SOURCE_SLICE_BYTES);
}

/** Passes slices through, yielding to the event loop every YIELD_EVERY_BYTES so that timers (the sampler) run. */
async function* yielding(source: Iterable<Buffer> | AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  let since = 0;
  for await (const slice of source) {
    since += slice.length;
    if (since >= YIELD_EVERY_BYTES) {
      since = 0;
      await nextMacrotask();
    }
    yield slice;
  }
}

class RssSampler {
  #peak = 0;
  readonly #timer: NodeJS.Timeout;

  constructor() {
    this.#sample();
    this.#timer = setInterval(() => this.#sample(), RSS_SAMPLE_MS);
  }

  #sample(): void {
    this.#peak = Math.max(this.#peak, process.memoryUsage.rss());
  }

  stop(): number {
    clearInterval(this.#timer);
    this.#sample();
    return this.#peak;
  }
}

const toMB = (bytes: number): number => round(bytes / MB);
const round = (n: number): number => Math.round(n * 100) / 100;
/** Latencies to the microsecond: header-only packets take tens of them. */
const roundMs = (ms: number): number => Math.round(ms * 1000) / 1000;
const size = (bytes: number): string => (bytes < MB ? `${round(bytes / 1e3)} kB` : `${round(bytes / MB)} MB`);
/** getrusage's maxrss is in KiB on Linux. */
const maxRssBytes = (): number => process.resourceUsage().maxRSS * 1024;

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return Math.max(1e-6, (used.user + used.system) / 1e6);
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/** Many packets, one at a time: throughput over all of them and the latency distribution. */
async function perPacket(name: string, op: 'parse' | 'build', iterations: number, packetBytes: number, attachmentBytes: number,
  run: () => Promise<void>): Promise<BenchResult> {
  for (let i = 0; i < Math.min(50, iterations); i++) await run(); // warm-up: JIT and caches, not measured
  const sampler = new RssSampler();
  const latencies: number[] = [];
  const cpuStarted = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t = performance.now();
    await run();
    latencies.push(performance.now() - t);
    if (i % 100 === 99) await nextMacrotask();
  }
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuSecondsSince(cpuStarted);
  const rssPeak = sampler.stop();
  latencies.sort((a, b) => a - b);
  return {
    case: name, op, packetBytes, attachmentBytes, iterations,
    throughputMBPerSecond: round((packetBytes * iterations) / MB / seconds),
    cpuThroughputMBPerSecond: round((packetBytes * iterations) / MB / cpuSeconds),
    latencyP50Ms: roundMs(percentile(latencies, 50)), latencyP99Ms: roundMs(percentile(latencies, 99)),
    rssPeakMB: toMB(rssPeak), rssMaxMB: toMB(maxRssBytes()), rssBudgetMB: null,
  };
}

/** One large packet: throughput and memory; a single latency would say nothing more. */
async function once(name: string, op: 'parse' | 'build', packet: SyntheticPacket, budgetMB: number | null,
  run: () => Promise<void>): Promise<BenchResult> {
  const sampler = new RssSampler();
  const cpuStarted = process.cpuUsage();
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const cpuSeconds = cpuSecondsSince(cpuStarted);
  const rssPeak = sampler.stop();
  return {
    case: name, op, packetBytes: packet.packetBytes, attachmentBytes: packet.attachmentBytes, iterations: 1,
    throughputMBPerSecond: round(packet.packetBytes / MB / seconds),
    cpuThroughputMBPerSecond: round(packet.packetBytes / MB / cpuSeconds), latencyP50Ms: null, latencyP99Ms: null,
    rssPeakMB: toMB(rssPeak), rssMaxMB: toMB(maxRssBytes()), rssBudgetMB: budgetMB,
  };
}

async function hugeParse(blocks: number, budgetMB: number | null): Promise<BenchResult> {
  const huge = await SyntheticPacket.create(randomBytes(BLOCK_RAW_BYTES), blocks);
  return once(`${blocks} MiB base64`, 'parse', huge, budgetMB, () => huge.parseAndCheck(huge.slices()));
}

/** Runs hugeParse in a fresh Node process (see HUGE_CASE_NODE_FLAGS); its rssMaxMB is then that process's own peak. */
async function hugeParseInChild(blocks: number, budgetMB: number | null): Promise<BenchResult> {
  const child = spawn(process.execPath, [...HUGE_CASE_NODE_FLAGS, fileURLToPath(import.meta.url), CHILD_ARG, String(blocks), String(budgetMB)],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const out: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  const [code] = (await onceEvent(child, 'close')) as [number | null];
  const text = Buffer.concat(out).toString('utf8').trim();
  if (code !== 0) throw new Error(`the benchmark child exited with ${code}: ${text}`);
  return JSON.parse(text) as BenchResult;
}

if (import.meta.main && process.argv[2] === CHILD_ARG) {
  const budget = process.argv[4] === 'null' ? null : Number(process.argv[4]);
  process.stdout.write(`${JSON.stringify(await hugeParse(Number(process.argv[3]), budget))}\n`);
}

function table(results: readonly BenchResult[]): string[] {
  const head = ['case', 'op', 'packet', 'n', 'MB/s', 'MB/s CPU', 'p50 ms', 'p99 ms', 'peak RSS MB', 'max RSS MB'];
  const rows = results.map((r) => [
    r.case, r.op, size(r.packetBytes), String(r.iterations), String(r.throughputMBPerSecond), String(r.cpuThroughputMBPerSecond),
    r.latencyP50Ms === null ? '—' : String(r.latencyP50Ms), r.latencyP99Ms === null ? '—' : String(r.latencyP99Ms),
    r.rssBudgetMB === null ? String(r.rssPeakMB) : `${r.rssPeakMB} ${r.rssPeakMB < r.rssBudgetMB ? '<' : '≥ !'} ${r.rssBudgetMB}`,
    String(r.rssMaxMB),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
}
