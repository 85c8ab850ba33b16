// `vdxp conformance client --port N`: the kit a vendor runs before going live. It serves a conformance hub with
// a scripted test agency, prints the credentials to point the vendor's system at, runs the scenarios, and
// writes the report as JSON and as a readable HTML page. Exit 0 when every scenario passed, 1 otherwise.

import { resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { ensurePrivateDir, writePrivateFile } from '@vdxp/hub';
import { ClientConformanceKit, HubConformanceKit, reportHtml, type ConformanceReport } from '@vdxp/sim';
import { EXIT_CODES, type CliContext } from '../context.ts';
import { durationMsArg } from '../duration.ts';

export function registerConformance(program: Command, ctx: CliContext): void {
  const group = program.command('conformance')
    .summary('conformance kit for agency systems / bộ kiểm tra phù hợp')
    .description('Checks that an agency system (QLVBĐH) behaves before it goes live.');
  group.command('client')
    .description('Serve a conformance hub on --port with a scripted test agency, wait for the vendor\'s system (either protocol: the native '
      + 'API with the token printed, or the VDXP wire protocol at the same URL with the system id and secret printed) and run the scenarios: '
      + 'receive a PDF, a DOCX and a zip, a signed document byte for byte (and return with 02 one whose signature fails), a large document, '
      + 'revoke/update/replace, answer 01, 03, 04, 05, 06 in order, answer a recall with 15 or 16, send a strictly valid document and a '
      + 'signed one to the test agency (send them before the scenarios end), carry on after a hub restart, never send a document twice '
      + 'under a new DocumentId. Writes report.json and report.html.')
    .requiredOption('--port <n>', 'the port to serve on', portArg)
    .option('--host <h>', 'the address to serve on', '127.0.0.1')
    .option('--out <dir>', 'where to write report.json and report.html', 'conformance-report')
    .option('--timeout <d>', 'how long each scenario waits for the vendor\'s system', durationMsArg, 120_000)
    .option('--large-bytes <n>', 'size of the large document, in bytes', portArgLike, 20 * 1024 * 1024)
    .option('--json', 'print the report as JSON')
    .action(async (opts: { port: number; host: string; out: string; timeout: number; largeBytes: number; json?: boolean }) => {
      const kit = new ClientConformanceKit({
        port: opts.port, host: opts.host, scenarioTimeoutMs: opts.timeout, largeBytes: opts.largeBytes,
        onReady: (i) => {
          ctx.err(`Trục kiểm tra / conformance hub: ${i.url}`);
          ctx.err(`  token (native API, "Authorization: Bearer …"): ${i.token}`);
          ctx.err(`  VDXP: endpoint ${i.url}, XroadVnpt-systemid ${i.system}, secret ${i.secret}`);
          ctx.err(`  mã đơn vị của hệ thống / your agency code: ${i.agency}; đơn vị thử nghiệm / the test agency: ${i.counterpart}`);
        },
        onScenario: (e) => {
          if (!e.result) ctx.err(`… ${e.id}: ${e.title}`);
          else ctx.err(`  ${e.result.passed ? 'ĐẠT / PASS' : 'KHÔNG ĐẠT / FAIL'} ${e.id}: ${e.result.reason}`);
        },
      });
      let report;
      try {
        await kit.start();
        report = await kit.run();
      } finally {
        await kit.close();
      }
      writeReport(ctx, opts.out, report, opts.json);
    });
  group.command('hub')
    .description('Check a hub that claims the VDXP wire protocol, call by call, with one system\'s credentials: a wrong HMAC and a wrong '
      + 'hash-file refused, getAgenciesList, sendEdoc (from the system\'s agency to itself unless --to), a resend answered with the same '
      + 'DocId, the document listed and got byte for byte, updateStatus done, a status 01 relayed, getSentEdocList. Writes report.json and report.html.')
    .requiredOption('--endpoint <url>', 'the hub\'s VDXP endpoint (the SDK\'s endpoint URL)')
    .requiredOption('--system <id>', 'XroadVnpt-systemid')
    .requiredOption('--secret <s>', 'the system\'s shared secret')
    .option('--from <code>', 'the agency the system sends for (default: the system id)')
    .option('--to <code>', 'where the test document goes (default: back to --from)')
    .option('--out <dir>', 'where to write report.json and report.html', 'conformance-hub-report')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { endpoint: string; system: string; secret: string; from?: string; to?: string; out: string; json?: boolean }) => {
      const report = await new HubConformanceKit({
        endpoint: opts.endpoint, system: opts.system, secret: opts.secret,
        ...(opts.from !== undefined ? { from: opts.from } : {}), ...(opts.to !== undefined ? { to: opts.to } : {}),
        onCheck: (r) => ctx.err(`  ${r.passed ? 'ĐẠT / PASS' : 'KHÔNG ĐẠT / FAIL'} ${r.id}: ${r.reason}`),
      }).run();
      writeReport(ctx, opts.out, report, opts.json);
    });
}

function writeReport(ctx: CliContext, out: string, report: ConformanceReport, json: boolean | undefined): void {
  const dir = resolve(ctx.cwd, out);
  ensurePrivateDir(dir);
  writePrivateFile(resolve(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writePrivateFile(resolve(dir, 'report.html'), reportHtml(report));
  if (json) ctx.out(JSON.stringify(report));
  else ctx.out(`${report.passed ? 'ĐẠT / PASSED' : 'KHÔNG ĐẠT / FAILED'}: ${report.scenarios.filter((s) => s.passed).length}/${report.scenarios.length} scenarios; report in ${dir}/report.html`);
  if (!report.passed) ctx.fail(EXIT_CODES.failed);
}

function portArg(value: string): number {
  const n = Number(value);
  if (!/^\d{1,5}$/.test(value) || n > 65_535) throw new InvalidArgumentError('a port from 0 to 65535');
  return n;
}

function portArgLike(value: string): number {
  if (!/^\d{1,10}$/.test(value) || Number(value) < 1) throw new InvalidArgumentError('a positive number of bytes');
  return Number(value);
}
