// `vdxp user`: console accounts — add one (leader, operator or auditor, with an optional scope: an agency code
// whose units it sees), list them (never a password hash), disable one, reset a password. Every change is an
// evidence event; disabling or resetting ends the account's open sessions.

import type { Command } from 'commander';
import { USER_ROLES, addUser, disableUser, resetPassword, userView, type UserRole, type UserView } from '@vdxp/hub';
import { CliError, EXIT_CODES, type CliContext } from '../context.ts';
import { addDataOption, operatorActor, withHub, type HubLocation } from '../hub-access.ts';

interface DataOpts extends HubLocation { json?: boolean }
interface PasswordOpts { password?: string; passwordStdin?: boolean }

/** Bytes read from stdin for a password at most (one line is kept). */
const PASSWORD_STDIN_BYTES_MAX = 4096;

async function readPassword(ctx: CliContext, o: PasswordOpts): Promise<string> {
  if ((o.password === undefined) === (o.passwordStdin !== true)) {
    throw new CliError('cần đúng một trong --password-stdin và --password / give exactly one of --password-stdin and --password', EXIT_CODES.usage);
  }
  if (o.password !== undefined) return o.password;
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of ctx.stdin ?? process.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string);
    bytes += b.length;
    if (bytes > PASSWORD_STDIN_BYTES_MAX) throw new CliError(`mật khẩu trên stdin quá dài / the password on stdin is longer than ${PASSWORD_STDIN_BYTES_MAX} bytes`, EXIT_CODES.usage);
    chunks.push(b);
  }
  // The first line, without its line ending: `echo secret | vdxp user add …` works as expected.
  return (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '');
}

function roleArg(value: string): UserRole {
  if (!(USER_ROLES as readonly string[]).includes(value)) throw new CliError(`--role: một trong / one of ${USER_ROLES.join(', ')}`, EXIT_CODES.usage);
  return value as UserRole;
}

const ROLE_WORDS: Record<UserRole, string> = { leader: 'lãnh đạo / leader', operator: 'vận hành / operator', auditor: 'kiểm tra / auditor' };

function line(u: UserView): string {
  return `${u.username}  ${ROLE_WORDS[u.role]}  ${u.scope ?? 'toàn quốc / everything'}  ${u.state === 'active' ? 'hoạt động / active' : 'đã khóa / disabled'}`;
}

export function registerUser(program: Command, ctx: CliContext): void {
  const user = program.command('user')
    .summary('console accounts / tài khoản bảng điều khiển')
    .description('Tài khoản đăng nhập bảng điều khiển (/console/) / Console accounts: leaders see documents and overdue '
      + 'lists within their scope, operators administer the registry and systems, auditors read the evidence trail. '
      + 'A scope is an agency code: the account sees it and every unit under it; without one, everything.');

  addDataOption(user.command('add')
    .summary('add an account / thêm tài khoản')
    .requiredOption('--username <name>', 'tên đăng nhập / username: 1–64 of a-z 0-9 . _ -')
    .requiredOption('--role <role>', `vai trò / role: ${USER_ROLES.join('|')}`, roleArg)
    .option('--scope <code>', 'mã cơ quan / agency code whose units the account sees (default: everything)')
    .option('--password-stdin', 'read the password from standard input (first line) / đọc mật khẩu từ stdin')
    .option('--password <password>', 'the password (visible in shell history: for scripts) / mật khẩu')
    .option('--json', 'print the account as JSON'))
    .action(async (opts: DataOpts & PasswordOpts & { username: string; role: UserRole; scope?: string }) => {
      const password = await readPassword(ctx, opts);
      const u = await withHub(ctx, opts, 'existing', (hub) => addUser(hub.ctx, { username: opts.username, role: opts.role, scope: opts.scope ?? null, password }, operatorActor()));
      if (opts.json) return ctx.out(JSON.stringify(u));
      ctx.out(`Đã tạo tài khoản / Created account: ${line(u)}`);
    });

  addDataOption(user.command('list')
    .summary('list the accounts / liệt kê tài khoản')
    .option('--json', 'a JSON array'))
    .action(async (opts: DataOpts) => {
      const users = await withHub(ctx, opts, 'existing', async (hub) => (await hub.ctx.store.listUsers()).map(userView));
      if (opts.json) return ctx.out(JSON.stringify(users));
      if (users.length === 0) return ctx.out('Chưa có tài khoản nào; thêm bằng "vdxp user add" / No accounts yet; add one with "vdxp user add"');
      for (const u of users) ctx.out(line(u));
    });

  addDataOption(user.command('disable')
    .summary('disable an account and end its sessions / khóa tài khoản')
    .argument('<username>', 'tên đăng nhập / username'))
    .action(async (username: string, opts: DataOpts) => {
      const u = await withHub(ctx, opts, 'existing', (hub) => disableUser(hub.ctx, username, operatorActor()));
      ctx.out(`Đã khóa / Disabled: ${line(u)}`);
    });

  addDataOption(user.command('reset-password')
    .summary('set a new password (and re-enable) / đặt lại mật khẩu')
    .argument('<username>', 'tên đăng nhập / username')
    .option('--password-stdin', 'read the password from standard input (first line)')
    .option('--password <password>', 'the password (visible in shell history: for scripts)'))
    .action(async (username: string, opts: DataOpts & PasswordOpts) => {
      const password = await readPassword(ctx, opts);
      const u = await withHub(ctx, opts, 'existing', (hub) => resetPassword(hub.ctx, username, password, operatorActor()));
      ctx.out(`Đã đặt lại mật khẩu; các phiên cũ đã kết thúc / Password reset; open sessions ended: ${line(u)}`);
    });
}
