// `bash scripts/dev.sh node scripts/packet-measure.ts [--bytes 2000000000] [--engine postgres|sqlite]`: one large
// packet in and out through a real `vdxp serve` process (on a throwaway PostgreSQL cluster, or a data folder),
// streamed both ways by this script without ever holding it: prints the node's peak RSS (VmHWM) after the
// upload and after the download, the throughput each way, and whether the bytes came back identical.
// The suite runs it small (packet-measure.test.ts); the figure is 2 GB at ≤ 256 MB peak RSS.

import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { addSystem, importAgencies, openHub } from '../packages/hub/src/index.ts';
import { startPostgres, type PgCluster } from '../packages/hub/test-support/postgres.ts';

const MAIN = new URL('../packages/cli/src/main.ts', import.meta.url).pathname;
/** Random bytes generated (and base64-encoded) per slice of the attachment. */
const SLICE_BYTES = 3 * 1024 * 1024;
const START_TIMEOUT_MS = 60_000;

export interface PacketMeasure {
  engine: 'postgres' | 'sqlite';
  packetBytes: number;
  identical: boolean;
  uploadSeconds: number;
  downloadSeconds: number;
  uploadMBps: number;
  downloadMBps: number;
  peakRssMBAfterUpload: number;
  peakRssMBAfterDownload: number;
  /**
   * CPU seconds the server spent each way: on its main thread (parsing, serving) and in all its threads. On a
   * shared machine these hold steadier than the MB/s, which other processes' load changes.
   */
  uploadCpuSeconds: { main: number; all: number };
  downloadCpuSeconds: { main: number; all: number };
}

/** utime + stime of a process (or, with `tid`, one of its threads), in seconds. */
function cpuSeconds(pid: number, tid?: number): number {
  const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), counted from field 3: utime is 14, stime 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_SECOND;
}
/** USER_HZ: 100 on every Linux this runs on (getconf CLK_TCK). */
const CLOCK_TICKS_PER_SECOND = 100;

export async function measurePacket(o: { packetBytes: number; engine: 'postgres' | 'sqlite'; log?: (l: string) => void; nodeArgs?: string[] }): Promise<PacketMeasure> {
  const log = o.log ?? (() => undefined);
  const dir = mkdtempSync(join(tmpdir(), 'vdxp-packet-measure-'));
  let cluster: PgCluster | undefined;
  const child = { kill: (): void => undefined };
  try {
    const keyFile = join(dir, 'nodes.key');
    let where: string[];
    let open: () => ReturnType<typeof openHub>;
    if (o.engine === 'postgres') {
      cluster = await startPostgres();
      const url = await cluster.createDatabase('measure');
      where = ['--database', url, '--key-file', keyFile];
      open = () => openHub({ databaseUrl: url, keyFile, recover: false });
    } else {
      where = ['--data', join(dir, 'data')];
      open = () => openHub({ dataDir: join(dir, 'data'), recover: false });
    }
    const seed = await open();
    await importAgencies(seed.ctx, [{ code: '000.00.00.G22', name: 'Gửi' }, { code: '000.00.00.H41', name: 'Nhận' }], 'measure');
    const sender = (await addSystem(seed.ctx, { id: 'sys.send', agencies: ['000.00.00.G22'] }, 'measure')).token;
    const receiver = (await addSystem(seed.ctx, { id: 'sys.recv', agencies: ['000.00.00.H41'] }, 'measure')).token;
    await seed.close();

    const config = join(dir, 'limits.json');
    const max = o.packetBytes + 1024 * 1024;
    // VDXP_MEASURE_LIMITS='{"pgPacketChunkBytes":262144}' tries other limits (HubLimits names).
    writeFileSync(config, JSON.stringify({ ...JSON.parse(process.env['VDXP_MEASURE_LIMITS'] ?? '{}') as object, edxml: { packetBytesMax: max, attachmentBytesMax: max, attachmentsTotalBytesMax: max } }));
    const proc = spawn(process.execPath, [...(o.nodeArgs ?? []), MAIN, 'serve', ...where, '--port', '0', '--no-demo', '--config', config], { stdio: ['ignore', 'pipe', 'inherit'] });
    child.kill = () => { proc.kill('SIGKILL'); };
    const base = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('serve did not start')), START_TIMEOUT_MS);
      createInterface({ input: proc.stdout }).on('line', (l) => {
        const m = /serving at (\S+)/.exec(l);
        if (m?.[1]) { clearTimeout(timer); resolve(m[1]); }
      });
      proc.once('exit', (c) => reject(new Error(`serve exited with ${c}`)));
    });
    const peakRss = (): number => Number(/^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${proc.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

    // The packet, generated while it is sent: an edXML envelope around one attachment of random bytes.
    const prefix = Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016">\n'
      + '<edXML:edXMLEnvelope xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016">\n<edXML:edXMLHeader>\n<edXML:MessageHeader>'
      + '<edXML:From><edXML:OrganId>000.00.00.G22</edXML:OrganId></edXML:From><edXML:To><edXML:OrganId>000.00.00.H41</edXML:OrganId></edXML:To>'
      + `<edXML:DocumentId>000.00.00.G22,2026/11/23,${process.pid}/DO</edXML:DocumentId><edXML:Subject>Gói lớn</edXML:Subject></edXML:MessageHeader>\n`
      + '</edXML:edXMLHeader>\n<edXML:edXMLBody>\n<edXML:edXMLManifest version="1.0"><edXML:Reference><edXML:ContentId>cid:1</edXML:ContentId>'
      + '<edXML:ContentType>application/pdf</edXML:ContentType><edXML:AttachmentName>lon.pdf</edXML:AttachmentName></edXML:Reference></edXML:edXMLManifest>\n'
      + '</edXML:edXMLBody>\n</edXML:edXMLEnvelope>\n<AttachmentEncoded>\n<Attachment><ContentId>cid:1</ContentId><AttachmentName>lon.pdf</AttachmentName>'
      + '<ContentType>application/pdf</ContentType><ContentTransferEncoded>');
    const suffix = Buffer.from('</ContentTransferEncoded></Attachment>\n</AttachmentEncoded>\n</edXML>\n');
    const decoded = Math.floor((o.packetBytes - prefix.byteLength - suffix.byteLength) / 4) * 3;
    const total = prefix.byteLength + (decoded / 3) * 4 + suffix.byteLength;
    const sentHash = createHash('sha256');
    log(`packet-measure: ${o.engine}, ${total} bytes (attachment ${decoded}) → ${base}`);
    const pid = proc.pid ?? 0;
    const cpu = (): { main: number; all: number } => ({ main: cpuSeconds(pid, pid), all: cpuSeconds(pid) });
    const since = (a: { main: number; all: number }): { main: number; all: number } => {
      const b = cpu();
      return { main: Number((b.main - a.main).toFixed(2)), all: Number((b.all - a.all).toFixed(2)) };
    };
    const cpu0 = cpu();
    const t0 = performance.now();
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/v1/documents`, { method: 'POST', headers: { authorization: `Bearer ${sender}`, 'content-type': 'application/xml', 'content-length': total } }, (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
      });
      req.once('error', reject);
      const write = (b: Buffer): Promise<void> => {
        sentHash.update(b);
        return req.write(b) ? Promise.resolve() : new Promise((r) => req.once('drain', () => r()));
      };
      void (async () => {
        await write(prefix);
        for (let left = decoded; left > 0; left -= SLICE_BYTES) await write(Buffer.from(randomBytes(Math.min(SLICE_BYTES, left)).toString('base64')));
        await write(suffix);
        req.end();
      })().catch(reject);
    });
    const uploadSeconds = (performance.now() - t0) / 1000;
    if (status !== 201) throw new Error(`the upload was answered ${status}`);
    const uploadCpuSeconds = since(cpu0);
    const peakRssMBAfterUpload = peakRss();
    log(`packet-measure: in ${uploadSeconds.toFixed(1)} s, peak RSS ${peakRssMBAfterUpload.toFixed(0)} MB`);

    const items = (await (await fetch(`${base}/v1/inbox`, { headers: { authorization: `Bearer ${receiver}` } })).json()) as { items: { deliveryId: string }[] };
    const cpu1 = cpu();
    const t1 = performance.now();
    const got = createHash('sha256');
    await new Promise<void>((resolve, reject) => {
      request(`${base}/v1/deliveries/${items.items[0]?.deliveryId}/packet`, { headers: { authorization: `Bearer ${receiver}` } }, (res) => {
        res.on('data', (c: Buffer) => got.update(c));
        res.once('end', resolve);
        res.once('error', reject);
      }).once('error', reject).end();
    });
    const downloadSeconds = (performance.now() - t1) / 1000;
    const downloadCpuSeconds = since(cpu1);
    const peakRssMBAfterDownload = peakRss();
    const identical = got.digest('hex') === sentHash.digest('hex');
    // Waited for, so a profiled server writes its profile before the SIGKILL below.
    const exited = new Promise<void>((r) => { if (proc.exitCode !== null) r(); else proc.once('exit', () => r()); });
    proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, START_TIMEOUT_MS).unref())]);
    const mb = total / 1e6;
    return {
      engine: o.engine, packetBytes: total, identical,
      uploadSeconds: Number(uploadSeconds.toFixed(1)), downloadSeconds: Number(downloadSeconds.toFixed(1)),
      uploadMBps: Number((mb / uploadSeconds).toFixed(1)), downloadMBps: Number((mb / downloadSeconds).toFixed(1)),
      peakRssMBAfterUpload: Math.round(peakRssMBAfterUpload), peakRssMBAfterDownload: Math.round(peakRssMBAfterDownload),
      uploadCpuSeconds, downloadCpuSeconds,
    };
  } finally {
    child.kill();
    await cluster?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { bytes: { type: 'string' }, engine: { type: 'string' }, 'cpu-prof': { type: 'string' } } });
  const engine = values.engine === 'sqlite' ? 'sqlite' : 'postgres';
  // --cpu-prof DIR: the server runs under V8's profiler and writes its .cpuprofile there when it exits.
  const nodeArgs = values['cpu-prof'] !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${values['cpu-prof']}`] : [];
  const r = await measurePacket({ packetBytes: Number(values.bytes ?? 2_000_000_000), engine, nodeArgs, log: (l) => console.error(l) });
  console.log(JSON.stringify(r));
  if (!r.identical) process.exit(1);
}
