// `vdxp agency`: the registry of agencies — add one, import a directory (JSON or CSV, 111,000 rows in
// seconds), list, show, and record mergers and dissolutions so documents keep reaching whoever took over.

import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  HubError, addAgency, dissolveAgency, importAgencies, mergeAgency, renameAgency, resolveRecipient, type Agency, type Hub,
} from '@vdxp/hub';
import { agencyFileFormat, IMPORT_FILE_BYTES_MAX, parseAgencyFile } from '../agency-file.ts';
import { CliError, EXIT_CODES, type CliContext } from '../context.ts';
import { resolveFile } from '../files.ts';
import { labelled } from '../format.ts';
import { addDataOption, asCliError, operatorActor, withHub } from '../hub-access.ts';

export const LIST_LIMIT_DEFAULT = 100;
export const LIST_LIMIT_MAX = 500_000;
/** Rows read per store call while listing. */
const LIST_PAGE = 5000;

const STATE_LABELS: Readonly<Record<Agency['state'], string>> = {
  active: 'hoạt động / active', suspended: 'tạm dừng / suspended', merged: 'đã hợp nhất / merged', dissolved: 'đã giải thể / dissolved',
};

/** An agency as the CLI prints it in JSON: times as ISO strings. */
export interface AgencyView extends Omit<Agency, 'validFrom' | 'validTo' | 'updatedAt'> {
  validFrom: string | null;
  validTo: string | null;
  updatedAt: string;
}

interface DataOpts { data: string; json?: boolean }

export function registerAgency(program: Command, ctx: CliContext): void {
  const agency = program.command('agency')
    .summary('the registry of agencies / danh bạ cơ quan')
    .description('Danh bạ cơ quan, đơn vị trên trục / The registry of agencies: add, import, list, show, merge, '
      + 'dissolve, rename. Works beside a running hub on the same --data folder: the change applies at once.');

  addDataOption(agency.command('add')
    .summary('add one agency / thêm một cơ quan')
    .description('Add an agency. Level and parent are read from a legacy code (000.00.15.H41 is level 2 under '
      + '000.00.00.H41) unless given.')
    .requiredOption('--code <code>', 'agency code as on the wire (OrganId)')
    .requiredOption('--name <name>', 'name')
    .option('--parent <code>', 'parent agency (must be in the registry)')
    .option('--email <email>', 'contact e-mail')
    .option('--phone <phone>', 'contact phone')
    .option('--json', 'print the agency as JSON'))
    .action(async (opts: DataOpts & { code: string; name: string; parent?: string; email?: string; phone?: string }) => {
      const a = await withHub(ctx, opts, 'create', async (hub) => {
        let parent: string | undefined;
        if (opts.parent !== undefined) {
          parent = (await hub.ctx.store.findAgency(opts.parent))?.code;
          if (parent === undefined) {
            throw new HubError('VDXP_E_AGENCY_UNKNOWN', `Không có cơ quan cha ${opts.parent}; thêm nó trước / No parent agency ${opts.parent}: add it first`);
          }
        }
        return addAgency(hub.ctx, {
          code: opts.code, name: opts.name, ...(parent !== undefined ? { parent } : {}),
          ...(opts.email !== undefined ? { email: opts.email } : {}), ...(opts.phone !== undefined ? { phone: opts.phone } : {}),
        }, operatorActor());
      });
      if (opts.json) return ctx.out(JSON.stringify(viewOf(a)));
      ctx.out(`Đã thêm cơ quan / Added agency ${a.code}: ${a.name} (cấp / level ${a.level ?? '—'}, trực thuộc / parent ${a.parent ?? '—'})`);
      ctx.out(`Để một hệ thống gửi, nhận cho cơ quan này / To let a system send and receive for it: vdxp system add --id <id> --agencies ${a.code}`);
    });

  addDataOption(agency.command('import')
    .summary('import agencies from JSON or CSV / nhập danh bạ')
    .description('Add or update agencies from a file, all in one transaction: a JSON array of {code, name, parent?, '
      + 'level?, otherCodes?, email?, phone?}, or CSV with a header row of those names (otherCodes separated by ";"). '
      + 'A malformed row refuses the whole file, naming the row; nothing is written then.')
    .argument('<file>', 'file.json or file.csv'))
    .action(async (file: string, opts: DataOpts) => {
      const path = resolveFile(ctx, file);
      const text = await readImportFile(path);
      const drafts = (() => {
        try {
          return parseAgencyFile(text, agencyFileFormat(path, text));
        } catch (e) {
          throw asCliError(e);
        }
      })();
      const started = performance.now();
      const r = await withHub(ctx, opts, 'create', (hub) => importAgencies(hub.ctx, drafts, operatorActor()));
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      ctx.out(`Đã nhập ${r.count} cơ quan từ ${basename(path)} trong ${seconds} giây (phiên bản danh bạ ${r.version}) / `
        + `Imported ${r.count} agencies from ${basename(path)} in ${seconds} s (registry version ${r.version})`);
      ctx.out('Xem / See them: vdxp agency list');
    });

  addDataOption(agency.command('list')
    .summary('list agencies / liệt kê cơ quan')
    .description('List agencies in the order they last changed (as delta sync sees them), or the units directly under --parent.')
    .option('--parent <code>', 'only the units directly under this agency')
    .option('--limit <n>', `at most this many (default ${LIST_LIMIT_DEFAULT}, at most ${LIST_LIMIT_MAX})`, limitArg, LIST_LIMIT_DEFAULT)
    .option('--json', 'a JSON array'))
    .action(async (opts: DataOpts & { parent?: string; limit: number }) => {
      const { agencies, more, total } = await withHub(ctx, opts, 'existing', (hub) => listAgencies(hub, opts.parent, opts.limit));
      if (opts.json) return ctx.out(JSON.stringify(agencies.map(viewOf)));
      if (agencies.length === 0) {
        ctx.out(opts.parent === undefined
          ? 'Danh bạ trống; thêm bằng "vdxp agency add" hoặc "vdxp agency import" / The registry is empty: use "vdxp agency add" or "vdxp agency import"'
          : `Không có đơn vị nào trực thuộc ${opts.parent} / No units directly under ${opts.parent}`);
        return;
      }
      const width = Math.max(...agencies.map((a) => a.code.length));
      for (const a of agencies) {
        const state = a.state === 'active' ? '' : `  [${STATE_LABELS[a.state]}${a.successor ? ` → ${a.successor}` : ''}]`;
        ctx.out(`${a.code.padEnd(width)}  ${String(a.level ?? '-')}  ${a.name}${state}`);
      }
      if (more) {
        ctx.out(`Hiện ${agencies.length}${total === undefined ? '' : ` trên ${total}`}; xem thêm bằng --limit / `
          + `Showing ${agencies.length}${total === undefined ? '' : ` of ${total}`}; use --limit for more`);
      }
    });

  addDataOption(agency.command('show')
    .summary('one agency, where its documents go, which systems serve it / xem một cơ quan')
    .argument('<code>', 'agency code (or one of its other codes)')
    .option('--json', 'JSON'))
    .action(async (code: string, opts: DataOpts) => {
      const shown = await withHub(ctx, opts, 'existing', async (hub) => {
        const a = await hub.ctx.store.findAgency(code);
        if (!a) throw new HubError('VDXP_E_AGENCY_UNKNOWN', `Không có cơ quan ${code}; tìm bằng "vdxp agency list" / No agency ${code}; see "vdxp agency list"`);
        const routesTo = await resolveRecipient(hub.ctx, a.code).then((r) => r.recipient, () => null);
        const systems: string[] = [];
        for (const s of await hub.ctx.store.listSystems()) if (await hub.ctx.store.systemActsFor(s.id, a.code)) systems.push(s.id);
        return { ...viewOf(a), routesTo, systems };
      });
      if (opts.json) return ctx.out(JSON.stringify(shown));
      for (const line of labelled([
        ['Mã / Code', shown.code],
        ['Mã khác / Other codes', shown.otherCodes.length > 0 ? shown.otherCodes.join(', ') : null],
        ['Tên / Name', shown.name],
        ['Cấp / Level', shown.level === null ? null : String(shown.level)],
        ['Trực thuộc / Parent', shown.parent],
        ['Trạng thái / State', STATE_LABELS[shown.state]],
        ['Kế thừa / Successor', shown.successor],
        ['Văn bản đến / Documents go to', shown.routesTo ?? 'bị từ chối / refused (VDXP_E_RECIPIENT_INACTIVE)'],
        ['Hệ thống / Systems', shown.systems.length > 0 ? shown.systems.join(', ') : null],
        ['Email', shown.email],
        ['Điện thoại / Phone', shown.phone],
        ['Hiệu lực từ / Valid from', shown.validFrom],
        ['Hiệu lực đến / Valid to', shown.validTo],
        ['Phiên bản / Version', String(shown.version)],
      ])) ctx.out(line);
    });

  addDataOption(agency.command('rename')
    .summary('give an agency a new name / đổi tên cơ quan')
    .description('Rename the agency; its code stays, so documents route as before. Kept in its history (the console\'s agency page).')
    .argument('<code>', 'the agency')
    .requiredOption('--name <name>', 'the new name'))
    .action(async (code: string, opts: DataOpts & { name: string }) => {
      const a = await withHub(ctx, opts, 'existing', (hub) => renameAgency(hub.ctx, code, opts.name, operatorActor()));
      ctx.out(`Đã đổi tên ${a.code} thành / Renamed ${a.code} to: ${a.name}`);
    });

  addDataOption(agency.command('merge')
    .summary('merge an agency into its successor / hợp nhất cơ quan')
    .description('Mark the agency merged: documents addressed to it go to the successor from now on, and senders are told.')
    .argument('<code>', 'the agency that ceases')
    .requiredOption('--into <successor>', 'the agency that takes over'))
    .action(async (code: string, opts: DataOpts & { into: string }) => {
      const a = await withHub(ctx, opts, 'existing', (hub) => mergeAgency(hub.ctx, code, opts.into, operatorActor()));
      ctx.out(`Đã hợp nhất ${a.code} vào ${opts.into}: văn bản gửi ${a.code} từ nay chuyển đến ${opts.into}, người gửi được báo. / `
        + `Merged ${a.code} into ${opts.into}: documents addressed to ${a.code} now go to ${opts.into}, and senders are told.`);
    });

  addDataOption(agency.command('dissolve')
    .summary('dissolve an agency / giải thể cơ quan')
    .description('Mark the agency dissolved. With --successor its documents go there; without, they are refused.')
    .argument('<code>', 'the agency that ceases')
    .option('--successor <code>', 'the agency that takes over its documents'))
    .action(async (code: string, opts: DataOpts & { successor?: string }) => {
      const a = await withHub(ctx, opts, 'existing', (hub) => dissolveAgency(hub.ctx, code, opts.successor ?? null, operatorActor()));
      ctx.out(opts.successor === undefined
        ? `Đã giải thể ${a.code}: văn bản gửi đến sẽ bị từ chối (VDXP_E_RECIPIENT_INACTIVE). / `
          + `Dissolved ${a.code}: documents addressed to it are refused (VDXP_E_RECIPIENT_INACTIVE).`
        : `Đã giải thể ${a.code}: văn bản gửi đến chuyển cho ${opts.successor}. / Dissolved ${a.code}: its documents go to ${opts.successor}.`);
    });
}

function limitArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > LIST_LIMIT_MAX) throw new InvalidArgumentError(`a whole number from 1 to ${LIST_LIMIT_MAX}`);
  return n;
}

async function readImportFile(path: string): Promise<string> {
  try {
    const s = await stat(path);
    if (s.size > IMPORT_FILE_BYTES_MAX) {
      throw new CliError(`${path}: tệp lớn hơn ${IMPORT_FILE_BYTES_MAX} byte; chia nhỏ để nhập / larger than ${IMPORT_FILE_BYTES_MAX} bytes: split it`, EXIT_CODES.usage);
    }
    return await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`không đọc được / cannot read ${path}: ${(e as Error).message}`, EXIT_CODES.usage, { cause: e });
  }
}

/**
 * The first `limit` agencies, or the first `limit` directly under `parent`. The store has no parent filter,
 * so that case pages through the registry (about a second for 111,000 agencies).
 */
async function listAgencies(hub: Hub, parent: string | undefined, limit: number): Promise<{ agencies: Agency[]; more: boolean; total?: number }> {
  const store = hub.ctx.store;
  if (parent === undefined) {
    const agencies = await store.listAgencies({ limit });
    const total = await store.countAgencies();
    return { agencies, more: total > agencies.length, total };
  }
  const p = await store.findAgency(parent);
  if (!p) throw new HubError('VDXP_E_AGENCY_UNKNOWN', `Không có cơ quan ${parent} / No agency ${parent} in the registry`);
  const found: Agency[] = [];
  let afterVersion = 0;
  let afterCode = '';
  for (;;) {
    const page = await store.listAgencies({ afterVersion, afterCode, limit: LIST_PAGE });
    for (const a of page) {
      if (a.parent !== p.code) continue;
      if (found.length === limit) return { agencies: found, more: true };
      found.push(a);
    }
    const last = page.at(-1);
    if (last === undefined || page.length < LIST_PAGE) return { agencies: found, more: false };
    afterVersion = last.version;
    afterCode = last.code;
  }
}

function viewOf(a: Agency): AgencyView {
  const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
  return { ...a, validFrom: iso(a.validFrom), validTo: iso(a.validTo), updatedAt: new Date(a.updatedAt).toISOString() };
}
