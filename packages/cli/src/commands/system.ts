// `vdxp system`: the connected systems (QLVBĐH instances) — add one with the agencies it may act for and get
// its credentials, list and show them (never a token or secret), rotate credentials, and set the VDXP mode.

import type { Command } from 'commander';
import { HubError, addSystem, rotateSystemCredentials, setSystemPushUrl, setSystemVdxpStrict, type Credentials, type Hub, type SystemRecord } from '@vdxp/hub';
import { CliError, EXIT_CODES, type CliContext } from '../context.ts';
import { labelled } from '../format.ts';
import { addDataOption, commaList, operatorActor, withHub } from '../hub-access.ts';

/** What list and show print: everything about a system except its credentials. */
export interface SystemView {
  id: string;
  name: string;
  state: SystemRecord['state'];
  pushUrl: string | null;
  /** VDXP API strict mode: a fresh timestamp and each signature once (http/vdxp/README.md). */
  vdxpStrict: boolean;
  agencies: string[];
  createdAt: string;
  updatedAt: string;
}

interface DataOpts { data: string; json?: boolean }

export function registerSystem(program: Command, ctx: CliContext): void {
  const system = program.command('system')
    .summary('connected systems and their credentials / hệ thống kết nối')
    .description('Hệ thống QLVBĐH kết nối vào trục và thông tin xác thực của chúng / The document-management systems '
      + 'connected to the hub, the agencies each may send and receive for, and their credentials. Works beside a '
      + 'running hub on the same --data folder: the change applies at once.');

  addDataOption(system.command('add')
    .summary('add a system and print its credentials / thêm hệ thống')
    .description('Create a connected system that may act for the given agencies, and print its credentials: the '
      + 'bearer token of the native API and the secret of the VDXP-compatible API. The token is shown only here.')
    .requiredOption('--id <systemId>', 'system id (VDXP systemid), no spaces')
    .requiredOption('--agencies <codes>', 'agency codes it may act for, comma-separated')
    .option('--secret <secret>', 'VDXP secret to use (default: a random one; a flag is visible in shell history)')
    .option('--name <name>', 'display name (default: the id)')
    .option('--vdxp-strict', 'VDXP API: demand a fresh Việt Nam-time timestamp and each signature once (default off: '
      + 'SDKVXP 2.0.1 reuses one signature); change it later with "vdxp system set"')
    .option('--push-url <url>', 'push notices: the hub POSTs a signed notice here when deliveries are queued (see "vdxp system set")')
    .option('--json', 'print exactly {"id", "token", "secret"}'))
    .action(async (opts: DataOpts & { id: string; agencies: string; secret?: string; name?: string; vdxpStrict?: boolean; pushUrl?: string }) => {
      const agencies = commaList(opts.agencies);
      if (agencies.length === 0) throw new CliError('--agencies cần ít nhất một mã / needs at least one agency code', EXIT_CODES.usage);
      const c = await withHub(ctx, opts, 'create', async (hub) => addSystem(hub.ctx, {
        id: opts.id, agencies: await canonicalCodes(hub, agencies),
        ...(opts.secret !== undefined ? { secret: opts.secret } : {}), ...(opts.name !== undefined ? { name: opts.name } : {}),
        vdxpStrict: opts.vdxpStrict === true, ...(opts.pushUrl !== undefined ? { pushUrl: opts.pushUrl } : {}),
      }, operatorActor()));
      if (opts.json) return printJsonCredentials(ctx, c);
      ctx.out(`Đã tạo hệ thống / Created system ${c.id} (${agencies.length} cơ quan / agencies)`);
      printCredentials(ctx, c);
    });

  addDataOption(system.command('list')
    .summary('list the systems / liệt kê hệ thống')
    .option('--json', 'a JSON array'))
    .action(async (opts: DataOpts) => {
      const views = await withHub(ctx, opts, 'existing', async (hub) => {
        const out: SystemView[] = [];
        for (const s of await hub.ctx.store.listSystems()) out.push(await viewOf(hub, s));
        return out;
      });
      if (opts.json) return ctx.out(JSON.stringify(views));
      if (views.length === 0) {
        ctx.out('Chưa có hệ thống nào; thêm bằng "vdxp system add --id <id> --agencies <mã>" / '
          + 'No systems yet; add one with "vdxp system add --id <id> --agencies <codes>"');
        return;
      }
      const width = Math.max(...views.map((v) => v.id.length));
      for (const v of views) {
        ctx.out(`${v.id.padEnd(width)}  ${v.state.padEnd(9)}  ${modeWord(v.vdxpStrict).padEnd(7)}  ${String(v.agencies.length).padStart(5)} cơ quan / agencies  ${v.name}`);
      }
    });

  addDataOption(system.command('show')
    .summary('one system, its agencies and state / xem một hệ thống')
    .argument('<id>', 'system id')
    .option('--json', 'JSON'))
    .action(async (id: string, opts: DataOpts) => {
      const { view, names } = await withHub(ctx, opts, 'existing', async (hub) => {
        const s = await hub.ctx.store.getSystem(id);
        if (!s) throw new HubError('VDXP_E_SYSTEM_UNKNOWN', `Không có hệ thống ${id}; xem "vdxp system list" / No system ${id}; see "vdxp system list"`);
        const v = await viewOf(hub, s);
        const names = new Map<string, string>();
        for (const code of v.agencies) names.set(code, (await hub.ctx.store.getAgency(code))?.name ?? '(không có trong danh bạ / not in the registry)');
        return { view: v, names };
      });
      if (opts.json) return ctx.out(JSON.stringify(view));
      for (const line of labelled([
        ['Hệ thống / System', view.id],
        ['Tên / Name', view.name],
        ['Trạng thái / State', view.state],
        ['Đẩy tới / Push URL', view.pushUrl],
        ['VDXP', view.vdxpStrict
          ? 'strict (nghiêm ngặt: dấu thời gian giờ Việt Nam còn mới, mỗi chữ ký một lần / fresh Việt Nam-time timestamp, each signature once)'
          : 'lenient (thường: chữ ký dùng lại được, như SDKVXP 2.0.1 / a signature may be reused, as SDKVXP 2.0.1 does)'],
        ['Tạo / Created', view.createdAt],
        ['Đổi / Updated', view.updatedAt],
        ['Cơ quan / Agencies', String(view.agencies.length)],
      ])) ctx.out(line);
      for (const code of view.agencies) ctx.out(`  ${code}  ${names.get(code) ?? ''}`);
    });

  addDataOption(system.command('rotate-secret')
    .summary('new token and secret; the old ones stop working / cấp lại thông tin xác thực')
    .description('Issue a new bearer token and VDXP secret for the system. The old ones stop working at once, '
      + 'also on a running hub.')
    .argument('<id>', 'system id')
    .option('--secret <secret>', 'VDXP secret to use (default: a random one)')
    .option('--json', 'print exactly {"id", "token", "secret"}'))
    .action(async (id: string, opts: DataOpts & { secret?: string }) => {
      const c = await withHub(ctx, opts, 'existing', (hub) => rotateSystemCredentials(hub.ctx, id, operatorActor(), opts.secret));
      if (opts.json) return printJsonCredentials(ctx, c);
      ctx.out(`Đã cấp lại thông tin xác thực / New credentials for ${c.id}; thông tin cũ hết hiệu lực / the old ones no longer work`);
      printCredentials(ctx, c);
    });

  addDataOption(system.command('set')
    .summary('change a system\'s settings / đổi cài đặt của hệ thống')
    .description('Change a setting of an existing system; it applies at once, also on a running hub, and each change '
      + 'is an evidence event. --vdxp-strict on: the VDXP-compatible API demands of this system a timestamp within '
      + 'the replay window in Việt Nam time and refuses a signature used before (for clients that sign every call); '
      + 'off (the default): a signature stays valid, as SDKVXP 2.0.1 needs, and every call is safe to replay.')
    .argument('<id>', 'system id')
    .option('--vdxp-strict <on|off>', 'VDXP API strict mode')
    .option('--push-url <url|off>', 'push notices: when deliveries are queued for the system the hub POSTs a small JSON notice here, '
      + 'signed with the system\'s secret (headers x-vdxp-timestamp, x-vdxp-signature: v1=HMAC-SHA256 of "<timestamp>.<body>"); '
      + 'the system then fetches as usual. Retried with backoff; a running hub picks the change up within 10 s. "off" removes it')
    .option('--json', 'print {"id", "vdxpStrict"?, "pushUrl"?, "changed"}'))
    .action(async (id: string, opts: DataOpts & { vdxpStrict?: string; pushUrl?: string }) => {
      if (opts.vdxpStrict === undefined && opts.pushUrl === undefined) {
        throw new CliError('cần --vdxp-strict hoặc --push-url / give --vdxp-strict or --push-url', EXIT_CODES.usage);
      }
      const strict = opts.vdxpStrict === undefined ? undefined : onOff(opts.vdxpStrict);
      const pushUrl = opts.pushUrl === undefined ? undefined : opts.pushUrl.trim().toLowerCase() === 'off' ? null : opts.pushUrl.trim();
      const changed = await withHub(ctx, opts, 'existing', async (hub) => {
        const a = strict === undefined ? false : await setSystemVdxpStrict(hub.ctx, id, strict, operatorActor());
        const b = pushUrl === undefined ? false : await setSystemPushUrl(hub.ctx, id, pushUrl, operatorActor());
        return a || b;
      });
      if (opts.json) {
        return ctx.out(JSON.stringify({ id, ...(strict !== undefined ? { vdxpStrict: strict } : {}), ...(pushUrl !== undefined ? { pushUrl } : {}), changed }));
      }
      if (strict !== undefined) ctx.out(`VDXP ${id}: ${modeWord(strict)}${changed ? '' : ' (đã như vậy / unchanged)'}`);
      if (pushUrl !== undefined) ctx.out(`Đẩy tới / Push URL ${id}: ${pushUrl ?? 'tắt / off'}${changed ? '' : ' (đã như vậy / unchanged)'}`);
    });
}

/** The VDXP mode as one word, for lists. */
function modeWord(strict: boolean): string {
  return strict ? 'strict' : 'lenient';
}

/** `on`/`off` (also true/false, yes/no, 1/0) as a boolean; anything else is a usage error. */
function onOff(value: string): boolean {
  const v = value.trim().toLowerCase();
  if (['on', 'true', 'yes', '1'].includes(v)) return true;
  if (['off', 'false', 'no', '0'].includes(v)) return false;
  throw new CliError(`--vdxp-strict "${value}": dùng on hoặc off / use on or off`, EXIT_CODES.usage);
}

/**
 * The registry's own code for each given code (an operator may type a legacy or other code): deliveries are
 * addressed to the registry code, so a system must act for that one to see them. Unknown codes pass through
 * for addSystem to refuse.
 */
async function canonicalCodes(hub: Hub, codes: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const code of codes) out.push((await hub.ctx.store.findAgency(code))?.code ?? code);
  return out;
}

async function viewOf(hub: Hub, s: SystemRecord): Promise<SystemView> {
  return {
    id: s.id, name: s.name, state: s.state, pushUrl: s.pushUrl, vdxpStrict: s.vdxpStrict, agencies: await hub.ctx.store.systemAgencies(s.id),
    createdAt: new Date(s.createdAt).toISOString(), updatedAt: new Date(s.updatedAt).toISOString(),
  };
}

function printJsonCredentials(ctx: CliContext, c: Credentials): void {
  ctx.out(JSON.stringify({ id: c.id, token: c.token, secret: c.secret }));
}

/** The credentials and what each is for, then what to do with them. */
export function credentialLines(c: Credentials): string[] {
  return labelled([
    ['  id', c.id],
    ['  token', `${c.token}   (API gốc / native API: "Authorization: Bearer <token>")`],
    ['  secret', `${c.secret}   (API tương thích VDXP / VDXP-compatible API)`],
  ]);
}

function printCredentials(ctx: CliContext, c: Credentials): void {
  for (const line of credentialLines(c)) ctx.out(line);
  ctx.out(`Lưu lại ngay: mã truy cập không hiện lại được; cấp mới bằng "vdxp system rotate-secret ${c.id}". / `
    + `Save these now: the token cannot be shown again; get new ones with "vdxp system rotate-secret ${c.id}".`);
}
