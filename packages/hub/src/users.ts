// Console accounts: who logs in (leader, operator, auditor), with what scope, how passwords are kept (scrypt,
// memory-hard, parameters stored with each hash so they can be raised later), sessions with their CSRF token,
// and the login rate limit. Every login, failed login and account change is an evidence event.

import { createHash, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { record, type HubContext } from './context.ts';
import { HubError } from './errors.ts';
import type { HubLimits } from './limits.ts';
import { checkScope } from './scope.ts';
import { USER_ROLES, type SessionRecord, type UserRecord, type UserRole } from './store/store.ts';

const USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const SALT_BYTES = 16;
const HASH_BYTES = 32;

function scryptAsync(password: string, salt: Buffer, keylen: number, o: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keylen, o, (e, key) => (e ? reject(e) : resolve(key)));
  });
}

/** scrypt in libuv's thread pool (a login never blocks the event loop); `scrypt$N$r$p$salt$hash`. */
export async function hashPassword(limits: HubLimits, password: string, salt: Buffer): Promise<string> {
  const N = limits.passwordScryptCost;
  const r = limits.passwordScryptBlockSize;
  const p = limits.passwordScryptParallelization;
  const key = await scryptAsync(password, salt, HASH_BYTES, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 });
  return ['scrypt', N, r, p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const N = Number(n);
  const expected = Buffer.from(hash, 'base64url');
  const key = await scryptAsync(password, Buffer.from(salt, 'base64url'), expected.length,
    { N, r: Number(r), p: Number(p), maxmem: 256 * N * Number(r) + 1024 * 1024 });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

function invalid(message: string): HubError {
  return new HubError('VDXP_E_CONSOLE_USER_INVALID', message);
}

function checkPassword(limits: HubLimits, password: string): void {
  const chars = [...password].length;
  if (chars < limits.passwordCharsMin || chars > limits.passwordCharsMax) {
    throw invalid(`Mật khẩu cần từ ${limits.passwordCharsMin} đến ${limits.passwordCharsMax} ký tự / a password needs ${limits.passwordCharsMin} to ${limits.passwordCharsMax} characters`);
  }
}

export interface UserDraft {
  username: string;
  role: UserRole;
  scope: string | null;
  password: string;
}

/** The account without its hash: what lists, the API and events show. */
export type UserView = Omit<UserRecord, 'passwordHash'>;
export const userView = ({ passwordHash: _hash, ...rest }: UserRecord): UserView => rest;

export async function addUser(ctx: HubContext, d: UserDraft, actor: string): Promise<UserView> {
  if (!USERNAME.test(d.username)) throw invalid(`Tên đăng nhập ${JSON.stringify(d.username)}: 1–64 ký tự a-z 0-9 . _ - / a username is 1–64 of a-z 0-9 . _ -`);
  if (!(USER_ROLES as readonly string[]).includes(d.role)) throw invalid(`Vai trò / role ${JSON.stringify(d.role)}: one of ${USER_ROLES.join(', ')}`);
  checkPassword(ctx.limits, d.password);
  if (d.scope !== null) {
    try { checkScope(d.scope); } catch (e) { throw invalid(`Phạm vi / scope ${JSON.stringify(d.scope)}: ${(e as Error).message}`); }
    if (!(await ctx.store.getAgency(d.scope))) throw invalid(`Phạm vi ${d.scope} không có trong danh bạ / scope ${d.scope} is not in the registry`);
  }
  const passwordHash = await hashPassword(ctx.limits, d.password, Buffer.from(ctx.random.token(SALT_BYTES), 'base64url'));
  return ctx.store.transaction(async (tx) => {
    if (await tx.getUser(d.username)) throw new HubError('VDXP_E_CONSOLE_USER_EXISTS', `Tài khoản ${d.username} đã có / account ${d.username} exists already`);
    const now = ctx.clock.now();
    const user: UserRecord = { username: d.username, role: d.role, scope: d.scope, passwordHash, state: 'active', createdAt: now, updatedAt: now };
    await tx.putUser(user);
    await record(ctx, tx, { type: 'user:added', actor, data: { username: d.username, role: d.role, scope: d.scope } });
    return userView(user);
  });
}

async function changeUser(ctx: HubContext, username: string, actor: string, type: string, patch: Partial<UserRecord>): Promise<UserView> {
  return ctx.store.transaction(async (tx) => {
    const u = await tx.getUser(username);
    if (!u) throw new HubError('VDXP_E_CONSOLE_USER_UNKNOWN', `Không có tài khoản ${username} / no account ${username}`);
    const next = { ...u, ...patch, updatedAt: ctx.clock.now() };
    await tx.putUser(next);
    // A disabled account or a new password ends every open session at once.
    await tx.deleteSessions({ username });
    await record(ctx, tx, { type, actor, data: { username } });
    return userView(next);
  });
}

export function disableUser(ctx: HubContext, username: string, actor: string): Promise<UserView> {
  return changeUser(ctx, username, actor, 'user:disabled', { state: 'disabled' });
}

export async function resetPassword(ctx: HubContext, username: string, password: string, actor: string): Promise<UserView> {
  checkPassword(ctx.limits, password);
  const passwordHash = await hashPassword(ctx.limits, password, Buffer.from(ctx.random.token(SALT_BYTES), 'base64url'));
  return changeUser(ctx, username, actor, 'user:password-reset', { passwordHash, state: 'active' });
}

export interface LoginResult {
  /** The cookie's value; only its hash is stored. */
  token: string;
  csrf: string;
  user: UserView;
  expiresAt: number;
}

// Compared against when the account does not exist, so a wrong username costs what a wrong password costs.
let dummyHash: Promise<string> | undefined;

/**
 * Checks a password and opens a session. Refused before any hashing when the account or the address failed
 * limits.loginFailuresPer*Max times within the window; each failure is counted under both and recorded.
 */
export async function login(ctx: HubContext, o: { username: string; password: string; address: string }): Promise<LoginResult> {
  const l = ctx.limits;
  const now = ctx.clock.now();
  const since = now - l.loginFailureWindowSeconds * 1000;
  const userKey = `user:${o.username.slice(0, 64)}`;
  const addrKey = `addr:${o.address}`;
  if ((await ctx.store.loginFailures(userKey, since)) >= l.loginFailuresPerAccountMax
    || (await ctx.store.loginFailures(addrKey, since)) >= l.loginFailuresPerAddressMax) {
    throw new HubError('VDXP_E_CONSOLE_LOGIN_RATE_LIMITED', `Đăng nhập sai quá nhiều lần; thử lại sau ${Math.ceil(l.loginFailureWindowSeconds / 60)} phút / `
      + `too many failed logins; try again in ${Math.ceil(l.loginFailureWindowSeconds / 60)} minutes`);
  }
  const user = USERNAME.test(o.username) ? await ctx.store.getUser(o.username) : undefined;
  const tooLong = o.password.length > l.passwordCharsMax * 4;
  dummyHash ??= hashPassword(l, 'not a password', Buffer.alloc(SALT_BYTES));
  const ok = !tooLong && (await verifyPassword(user?.passwordHash ?? await dummyHash, o.password)) && user !== undefined && user.state === 'active';
  if (!ok || user === undefined) {
    await ctx.store.transaction(async (tx) => {
      await tx.addLoginFailure(userKey, now, since);
      await tx.addLoginFailure(addrKey, now, since);
      await record(ctx, tx, { type: 'console:login-failed', actor: `console:${o.username.slice(0, 64)}`, data: { username: o.username.slice(0, 64), address: o.address } });
    });
    throw new HubError('VDXP_E_CONSOLE_LOGIN_FAILED', 'Sai tên đăng nhập hoặc mật khẩu / wrong username or password');
  }
  const token = ctx.random.token(32);
  const csrf = ctx.random.token(24);
  const expiresAt = now + l.consoleSessionSeconds * 1000;
  await ctx.store.transaction(async (tx) => {
    await tx.clearLoginFailures(userKey);
    await tx.putSession({ tokenHash: sha256(token), username: user.username, csrf, createdAt: now, expiresAt });
    await record(ctx, tx, { type: 'console:login', actor: `console:${user.username}`, data: { username: user.username, address: o.address } });
  });
  return { token, csrf, user: userView(user), expiresAt };
}

/** The session and account behind a cookie's token, or VDXP_E_CONSOLE_AUTH. */
export async function sessionOf(ctx: HubContext, token: string | undefined): Promise<{ session: SessionRecord; user: UserView }> {
  const session = token === undefined || token === '' ? undefined : await ctx.store.getSession(sha256(token));
  const user = session && await ctx.store.getUser(session.username);
  if (!session || session.expiresAt <= ctx.clock.now() || !user || user.state !== 'active') {
    throw new HubError('VDXP_E_CONSOLE_AUTH', 'Chưa đăng nhập hoặc phiên đã hết hạn / not logged in, or the session ended');
  }
  return { session, user: userView(user) };
}

export async function logout(ctx: HubContext, session: SessionRecord): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    await tx.deleteSessions({ tokenHash: session.tokenHash });
    await record(ctx, tx, { type: 'console:logout', actor: `console:${session.username}`, data: { username: session.username } });
  });
}
