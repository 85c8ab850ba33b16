// `vdxp calendar`: the working-day calendar the overdue rule counts — the Labour Code's holidays of a year (computed,
// Tết from the lunar calendar) and the operator's entries from the Government's yearly decisions: days off and
// make-up working days. A change recomputes the answer time of every document still awaiting acceptance.

import type { Command } from 'commander';
import { changeCalendar, statutoryHolidays, vnDay } from '@vdxp/hub';
import { CliError, EXIT_CODES, type CliContext } from '../context.ts';
import { addDataOption, operatorActor, withHub, type HubLocation } from '../hub-access.ts';

function yearArg(value: string): number {
  const n = Number(value);
  if (!/^\d{4}$/.test(value) || n < 1900 || n > 2199) throw new CliError('--year: 1900–2199', EXIT_CODES.usage);
  return n;
}

export function registerCalendar(program: Command, ctx: CliContext): void {
  const calendar = program.command('calendar')
    .summary('working days, holidays, days off / lịch ngày làm việc')
    .description('Lịch ngày làm việc dùng để tính văn bản chậm xử lý / The working-day calendar of the overdue rule: '
      + 'Monday–Friday less the Labour Code\'s holidays (art. 112, computed for any year, Tết from the lunar calendar), '
      + 'less the days off and plus the make-up working days you record from the Government\'s yearly decisions.');

  addDataOption(calendar.command('list')
    .summary('a year\'s holidays and entries / xem lịch một năm')
    .option('--year <yyyy>', 'năm / year (default: this year)', yearArg)
    .option('--json', 'JSON'))
    .action(async (opts: HubLocation & { year?: number; json?: boolean }) => {
      const year = opts.year ?? Number(vnDay(ctx.now().getTime()).slice(0, 4));
      const entries = await withHub(ctx, opts, 'existing', (hub) => hub.ctx.store.calendarDays(`${year}-01-01`, `${year}-12-31`));
      const holidays = statutoryHolidays(year);
      if (opts.json) return ctx.out(JSON.stringify({ year, holidays, entries }));
      ctx.out(`Ngày lễ theo Bộ luật Lao động / Statutory holidays ${year}:`);
      for (const h of holidays) ctx.out(`  ${h.day}  ${h.name}`);
      ctx.out(entries.length === 0 ? 'Chưa có ngày nghỉ bù, làm bù / No days off or make-up working days recorded'
        : 'Theo quyết định hằng năm / From the yearly decisions:');
      for (const e of entries) ctx.out(`  ${e.day}  ${e.kind === 'off' ? 'nghỉ / off' : 'làm việc / working'}${e.note ? `  ${e.note}` : ''}`);
    });

  addDataOption(calendar.command('add')
    .summary('record a day off or a make-up working day / thêm ngày nghỉ, ngày làm bù')
    .argument('<day>', 'yyyy-MM-dd')
    .requiredOption('--kind <kind>', 'off (nghỉ) | working (làm việc)')
    .option('--note <text>', 'ghi chú, e.g. the decision / ghi chú (số quyết định)'))
    .action(async (day: string, opts: HubLocation & { kind: string; note?: string }) => {
      if (opts.kind !== 'off' && opts.kind !== 'working') throw new CliError('--kind: off hoặc working / off or working', EXIT_CODES.usage);
      const kind = opts.kind;
      const r = await withHub(ctx, opts, 'existing', (hub) => changeCalendar(hub.ctx, day, kind, opts.note ?? null, operatorActor()));
      ctx.out(`Đã ghi ${day} (${kind}); tính lại hạn của ${r.rescheduled} văn bản đang chờ / Recorded ${day} (${kind}); ${r.rescheduled} answer times recomputed`);
    });

  addDataOption(calendar.command('remove')
    .summary('remove an entry / xóa một ngày')
    .argument('<day>', 'yyyy-MM-dd'))
    .action(async (day: string, opts: HubLocation) => {
      const r = await withHub(ctx, opts, 'existing', (hub) => changeCalendar(hub.ctx, day, null, null, operatorActor()));
      ctx.out(`Đã xóa ${day}; tính lại hạn của ${r.rescheduled} văn bản / Removed ${day}; ${r.rescheduled} answer times recomputed`);
    });
}
