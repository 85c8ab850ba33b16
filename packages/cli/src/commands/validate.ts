// `vdxp validate`: the findings of the lenient (default) or strict rules for each packet; exit 1 when any
// finding is an error or the parser refuses the packet, exit 2 when a file cannot be read.

import { basename } from 'node:path';
import type { Command } from 'commander';
import {
  hasErrors, isEdxmlError, parsePacket, validatePacket, type Finding, type Severity, type ValidationMode,
} from '@vdxp/edxml';
import { EXIT_CODES, type CliContext } from '../context.ts';
import { fileSlices, resolveFile } from '../files.ts';
import { refusalLine } from '../format.ts';

const SEVERITY_LABELS: Readonly<Record<Severity, string>> = {
  error: 'lỗi / error', warning: 'cảnh báo / warning', info: 'thông tin / info',
};

/** The `--json` shape: findings, or the parser's refusal (then `findings` is empty). */
export interface ValidationReport {
  file: string;
  mode: ValidationMode;
  valid: boolean;
  refusal: { code: string; message: string; path: string | null } | null;
  counts: Record<Severity, number>;
  findings: Finding[];
}

export function registerValidate(program: Command, ctx: CliContext): void {
  program.command('validate')
    .summary('check packets against the edXML rules / kiểm tra gói tin')
    .description('Check each packet against the rules (ids EDXML-…). Lenient mode flags as errors only what makes a '
      + 'packet undeliverable; --strict checks the mandatory fields and formats of QCVN 102:2016. '
      + 'Exit 1 on any error finding or refused packet, 2 when a file cannot be read.')
    .argument('<files...>', 'edXML packet files')
    .option('--strict', "apply the regulation's mandatory fields and formats")
    .option('--json', 'one JSON report per packet, one per line')
    .action(async (files: string[], opts: { strict?: boolean; json?: boolean }) => {
      const mode: ValidationMode = opts.strict ? 'strict' : 'lenient';
      for (const file of files) {
        const report = await validateFile(resolveFile(ctx, file), mode);
        if (!report.valid) ctx.fail(EXIT_CODES.failed);
        if (opts.json) ctx.out(JSON.stringify(report));
        else printReport(ctx, report);
      }
    });
}

/** Validates one packet file in bounded memory; a parser refusal is part of the report, not an exception. */
export async function validateFile(path: string, mode: ValidationMode): Promise<ValidationReport> {
  const report: ValidationReport = {
    file: path, mode, valid: false, refusal: null, counts: { error: 0, warning: 0, info: 0 }, findings: [],
  };
  try {
    report.findings = validatePacket(await parsePacket(fileSlices(path)), mode);
  } catch (e) {
    if (!isEdxmlError(e)) throw e;
    report.refusal = { code: e.code, message: e.message, path: e.path ?? null };
    return report;
  }
  for (const f of report.findings) report.counts[f.severity]++;
  report.valid = !hasErrors(report.findings);
  return report;
}

function printReport(ctx: CliContext, r: ValidationReport): void {
  const name = basename(r.file);
  if (r.refusal !== null) {
    ctx.out(refusalLine(name, { code: r.refusal.code, path: r.refusal.path ?? undefined, message: r.refusal.message }));
    return;
  }
  const verdict = r.valid ? 'hợp lệ / valid' : 'KHÔNG hợp lệ / INVALID';
  const mode = r.mode === 'strict' ? 'chặt / strict' : 'nới / lenient';
  ctx.out(`${name} — ${verdict} (${mode}): ${r.counts.error} lỗi / errors, ${r.counts.warning} cảnh báo / warnings, `
    + `${r.counts.info} thông tin / infos`);
  for (const f of r.findings) {
    ctx.out(`  ${SEVERITY_LABELS[f.severity]}  ${f.rule}  ${f.path}`);
    ctx.out(`      ${f.message.vi}`);
    ctx.out(`      ${f.message.en}`);
  }
}
