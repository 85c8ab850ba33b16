// The console end to end in headless Chromium (Debian's /usr/bin/chromium driven by playwright-core) against a
// real hub over a real socket: login and a wrong password, scope in the pages, the overview's figures against
// what the test exchanged, an overdue document that appears when the injected clock passes its deadline and
// leaves when answered, CSV and .xlsx exports holding the page's rows, a merge made in the console routing the
// next document to the successor, the language switch, keyboard order and axe-core's WCAG 2 AA checks (colour
// contrast included). No page error or console error on any page; a screenshot of each page is kept in
// test-artifacts/console/ (git-ignored).

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { readSheet } from 'read-excel-file/node';
import { CONSOLE_DIST_DIR } from './http/console.ts';
import { addSystem, importAgencies } from './registry.ts';
import { addUser } from './users.ts';
import { edoc, listen, startTestHub, statusPacket, type TestHub } from '../test-support/testkit.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = new URL('../../../test-artifacts/console/', import.meta.url);
const PASSWORD = 'mật-khẩu-thử-1';
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let t: TestHub;
let url: string;
let stop: () => Promise<void>;
let browser: BrowserContext;
let profile: string;
/** Page errors and console errors of every page the tests open. */
const problems: string[] = [];

before(async () => {
  assert.ok(existsSync(join(CONSOLE_DIST_DIR, 'index.html')), 'the console is built (scripts/dev.sh builds it before the tests: npm test)');
  assert.ok(existsSync(CHROMIUM), 'Debian\'s chromium is installed (scripts/dev.sh installs it: npm test)');
  t = await startTestHub({ limits: { passwordScryptCost: 1024, passwordScryptParallelization: 1, consoleSessionSeconds: 60 * 24 * 3600 } });
  await importAgencies(t.hub.ctx, [{ code: '000.00.00.H24', name: 'UBND thành phố Hà Nội' }, { code: '000.00.15.H24', name: 'Sở Nội vụ Hà Nội' }], 'test');
  await addSystem(t.hub.ctx, { id: 'sys.hanoi', agencies: ['000.00.00.H24', '000.00.15.H24'] }, 'test');
  await addUser(t.hub.ctx, { username: 'vpcp', role: 'leader', scope: null, password: PASSWORD }, 'test');
  await addUser(t.hub.ctx, { username: 'nghean', role: 'leader', scope: '000.00.00.H41', password: PASSWORD }, 'test');
  await addUser(t.hub.ctx, { username: 'ops', role: 'operator', scope: null, password: PASSWORD }, 'test');
  const s = await listen(t.hub);
  url = s.url;
  mkdirSync(ARTIFACTS, { recursive: true });
  profile = mkdtempSync(join(tmpdir(), 'vdxp-chromium-'));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, acceptDownloads: true, locale: 'vi-VN', timezoneId: 'Asia/Ho_Chi_Minh', viewport: { width: 1024, height: 768 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  stop = async () => { await browser.close(); await s.app.close(); await t.close(); rmSync(profile, { recursive: true, force: true }); };
});
after(async () => stop());

async function newPage(): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (e) => problems.push(`pageerror ${page.url()}: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console ${page.url()}: ${m.text()}`); });
  return page;
}

/** Takes back the problems matching `pattern` seen so far: the HTTP refusals a test provoked on purpose. */
function forgive(pattern: RegExp): void {
  for (let i = problems.length - 1; i >= 0; i--) if (pattern.test(problems[i] ?? '')) problems.splice(i, 1);
}

async function logIn(page: Page, username: string, password = PASSWORD): Promise<void> {
  await browser.clearCookies();
  await page.goto(`${url}/console/#/overview`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await page.click('#login-form button[type=submit]');
}

async function send(system: string, packet: Buffer): Promise<{ id: string; deliveries: { recipient: string }[] }> {
  const res = await fetch(`${url}/v1/documents`, { method: 'POST', headers: { authorization: `Bearer ${t.systems[system]?.token}` }, body: packet });
  assert.ok(res.ok, `submit answered ${res.status}`);
  return (await res.json()) as { id: string; deliveries: { recipient: string }[] };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: new URL(`${name}.png`, ARTIFACTS).pathname, fullPage: true });
}

/** axe-core's WCAG 2 A/AA rules in the page (colour contrast, labels, names, landmarks); returns the violated rule ids. */
async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: { id: string; nodes: unknown[] }[] }> } }).axe;
    const r = await axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] } });
    return r.violations.map((v) => `${v.id} (${v.nodes.length})`);
  });
}

describe('console in Chromium', () => {
  it('refuses a wrong password, then logs in (autocomplete fields), and shows the overview\'s live figures', async () => {
    const page = await newPage();
    await page.goto(`${url}/console/`);
    assert.equal(await page.getAttribute('#username', 'autocomplete'), 'username');
    assert.equal(await page.getAttribute('#password', 'autocomplete'), 'current-password');
    await shot(page, '01-login');
    await logIn(page, 'nghean', 'not the password');
    await page.waitForSelector('#login-error:not(:empty)');
    assert.match(await page.textContent('#login-error') ?? '', /Sai tên đăng nhập/);
    forgive(/status of 401/);
    await send('gov', await edoc('000.00.00.G22', ['000.00.00.H41', '000.00.15.H41', '000.00.00.H24']));
    await send('gov', await edoc('000.00.00.G22', ['000.00.15.H41']));
    await send('nghean', await edoc('000.00.00.H41', ['000.00.00.G22']));
    await logIn(page, 'nghean');
    await page.waitForSelector('[data-figure=received]');
    const figure = async (id: string): Promise<string> => (await page.textContent(`[data-figure=${id}] .figure-value`))?.trim() ?? '';
    assert.equal(await figure('received'), '3', 'three deliveries reached Nghệ An (Hà Nội\'s is outside the scope)');
    assert.equal(await figure('sent'), '1');
    assert.equal(await figure('in-flight'), '3');
    assert.equal(await figure('connected'), '2/2');
    assert.equal(await page.locator('canvas').count(), 3, 'three charts');
    // Chart.js is a chunk of its own, fetched after the figures show: each chart says when it has drawn.
    const drawn = [];
    for (const i of [0, 1, 2]) drawn.push(await page.locator('figure.chart').nth(i).and(page.locator('[data-drawn]')).getAttribute('data-drawn'));
    assert.deepEqual(drawn, ['yes', 'yes', 'yes'], 'three charts drawn by Chart.js');
    await shot(page, '02-overview');
    assert.deepEqual(await axeViolations(page), []);
    await page.close();
  });

  it('holds a scoped leader to the province in the pages: its agencies only, Hà Nội\'s document refused', async () => {
    const hanoiDoc = await send('gov', await edoc('000.00.00.G22', ['000.00.15.H24']));
    const page = await newPage();
    await logIn(page, 'nghean');
    await page.waitForSelector('[data-figure=received]');
    await page.goto(`${url}/console/#/agencies`);
    await page.waitForSelector('#agency-table tbody tr');
    const codes = await page.locator('#agency-table tbody tr td:first-child').allTextContents();
    assert.deepEqual(codes, ['000.00.00.H41', '000.00.15.H41']);
    await shot(page, '03-agencies');
    assert.deepEqual(await axeViolations(page), []);
    await page.goto(`${url}/console/#/documents/${hanoiDoc.id}`);
    await page.waitForSelector('[data-error]');
    assert.equal(await page.getAttribute('[data-error]', 'data-error'), 'VDXP_E_CONSOLE_SCOPE');
    forgive(/status of 403/);
    await page.close();
  });

  it('lists an overdue document once the clock passes its deadline, exports the same rows, and drops it when answered', async () => {
    const late = await send('gov', await edoc('000.00.00.G22', ['000.00.15.H41'], { Subject: 'Báo cáo chậm, ' + '"có dấu phẩy"' }));
    const page = await newPage();
    await logIn(page, 'nghean');
    await page.waitForSelector('[data-figure=received]');
    await page.goto(`${url}/console/#/overdue`);
    await page.waitForSelector('h1');
    assert.equal(await page.locator(`[data-document="${late.id}"]`).count(), 0, 'not overdue yet');
    t.clock.advance(6 * 24 * 3600 * 1000);
    await page.reload();
    await page.waitForSelector(`[data-document="${late.id}"]`);
    await shot(page, '04-overdue');
    assert.deepEqual(await axeViolations(page), []);
    const pageRows = await page.locator('section.group tbody tr').count();
    const subjects = await page.locator('section.group tbody tr td:nth-child(3)').allTextContents();

    const csvDownload = page.waitForEvent('download');
    await page.click('#export-csv');
    const csv = readFileSync(await (await csvDownload).path(), 'utf8');
    const csvRows = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
    assert.equal(csvRows.length - 1, pageRows, 'the CSV holds the page\'s rows (plus its header)');
    assert.ok(csv.includes('"Báo cáo chậm, ""có dấu phẩy"""'), 'quoted as RFC 4180 says');
    const xlsxDownload = page.waitForEvent('download');
    await page.click('#export-xlsx');
    const sheet = await readSheet(readFileSync(await (await xlsxDownload).path()));
    assert.equal(sheet.length - 1, pageRows, 'the spreadsheet holds the page\'s rows (plus its header)');
    assert.deepEqual(sheet.slice(1).map((r) => r[4]).sort(), [...subjects].sort());

    await page.click(`[data-document="${late.id}"]`);
    await page.waitForSelector('#timeline li');
    assert.ok(await page.locator('#timeline li[data-type="document:accepted"]').count() >= 1);
    assert.match(await page.textContent('#evidence') ?? '', /Toàn vẹn/);
    await shot(page, '05-document');
    assert.deepEqual(await axeViolations(page), []);

    const docRow = await t.hub.ctx.store.getDocument(late.id);
    await send('nghean', await statusPacket('000.00.15.H41', '000.00.00.G22', docRow?.edxmlId ?? '', '01'));
    await page.goto(`${url}/console/#/overdue`);
    await page.waitForSelector('h1');
    await page.waitForLoadState('networkidle');
    assert.equal(await page.locator(`[data-document="${late.id}"]`).count(), 0, 'answered: off the list');
    await page.close();
  });

  it('merges an agency from the console after a confirmation, and the next document goes to the successor', async () => {
    const page = await newPage();
    await logIn(page, 'ops');
    await page.waitForSelector('[data-figure=received]');
    await page.goto(`${url}/console/#/agencies/000.00.15.H24`);
    await page.waitForSelector('#merge-form');
    await page.fill('#merge-into', '000.00.00.H24');
    await page.click('#merge-form button[type=submit]');
    await page.waitForSelector('#merge-dialog[open]');
    assert.match(await page.textContent('#merge-warning') ?? '', /000\.00\.00\.H24/);
    await shot(page, '06-agency-merge');
    await page.click('#merge-confirm');
    await page.locator('#merge-result', { hasText: /\S/ }).waitFor();
    assert.equal((await t.hub.ctx.store.getAgency('000.00.15.H24'))?.state, 'merged');
    const next = await send('gov', await edoc('000.00.00.G22', ['000.00.15.H24']));
    assert.equal(next.deliveries[0]?.recipient, '000.00.00.H24');
    await page.close();
  });

  it('switches to English in one click, and the keyboard reaches the skip link and then the menu', async () => {
    const page = await newPage();
    await logIn(page, 'vpcp');
    await page.waitForSelector('[data-figure=received]');
    assert.match(await page.textContent('nav') ?? '', /Tổng quan/);
    await page.click('#lang-switch');
    await page.locator('nav', { hasText: 'Overview' }).waitFor();
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.goto(`${url}/console/#/documents`);
    await page.waitForSelector('form[role=search]');
    await shot(page, '07-documents-en');
    assert.deepEqual(await axeViolations(page), []);
    // The skip link comes first (it shows when focused), the menu next; following it lands in the page's own form.
    await page.locator('#skip-link').focus();
    assert.ok((await page.locator('#skip-link').boundingBox())?.x === 0, 'the skip link is on screen when focused');
    await page.keyboard.press('Tab');
    assert.equal(await page.locator(':focus').textContent(), 'Overview');
    await page.locator('#skip-link').focus();
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    assert.equal(await page.locator(':focus').getAttribute('name'), 'q', 'skipping the menu reaches the search field');
    await page.click('#lang-switch');
    await page.close();
  });

  it('makes Cao Bằng\'s monthly report for the Government Office: the figures the test exchanged, medians from the statuses, a clean print', async () => {
    // December 2026, 09:00 in Việt Nam: everything the earlier tests sent is in November.
    t.clock.set(Date.UTC(2026, 11, 2, 2, 0, 0));
    const docs: { id: string }[] = [];
    for (let i = 0; i < 3; i++) docs.push(await send('gov', await edoc('000.00.00.G22', ['000.00.00.H14'], { Subject: `Báo cáo tháng ${i}` })));
    await send('caobang', await edoc('000.00.00.H14', ['000.00.00.G22']));
    const answer = async (i: number, code: string): Promise<void> => {
      const row = await t.hub.ctx.store.getDocument(docs[i]?.id ?? '');
      await send('caobang', await statusPacket('000.00.00.H14', '000.00.00.G22', row?.edxmlId ?? '', code));
    };
    t.clock.advance(2 * 3600 * 1000);
    await answer(0, '03');
    t.clock.advance(2 * 3600 * 1000);
    await answer(1, '01');
    await answer(0, '06');
    t.clock.advance(5 * 24 * 3600 * 1000); // the third, never answered, is overdue by now (still December)
    const page = await newPage();
    await logIn(page, 'vpcp');
    await page.waitForSelector('[data-figure=received]');
    await page.goto(`${url}/console/#/reports?scope=000.00.00.H14`);
    await page.waitForSelector('#report');
    assert.equal(await page.getAttribute('#report', 'data-month'), '2026-12');
    const figure = async (id: string): Promise<string> => (await page.textContent(`[data-figure=${id}] .figure-value`))?.trim() ?? '';
    assert.equal(await figure('report-received'), '3');
    assert.equal(await figure('report-sent'), '1');
    assert.equal(await figure('report-overdue'), '1');
    assert.equal(await figure('report-accept'), '3 giờ', 'accepted after 2 h and 4 h: the median is 3 h');
    assert.equal(await figure('report-finish'), '4 giờ');
    assert.deepEqual(await page.locator('[data-table=top-recipients] tbody tr td:first-child').allTextContents(), ['000.00.00.H14']);
    assert.deepEqual(await page.locator('[data-table=overdue-by-agency] tbody tr td:nth-child(3)').allTextContents(), ['1']);
    assert.equal(await page.locator('#report canvas').count(), 1, 'the daily chart');
    await page.waitForSelector('#report figure.chart[data-drawn=yes]');
    await shot(page, '10-report');
    assert.deepEqual(await axeViolations(page), []);
    // On paper: no navigation, no form; table rows are not cut between pages.
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('#top').isVisible(), false);
    assert.equal(await page.locator('#report form').isVisible(), false);
    assert.equal(await page.locator('#report tr').first().evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { breakInside: string } }).getComputedStyle(el).breakInside), 'avoid');
    await shot(page, '11-report-print');
    await page.emulateMedia({ media: 'screen' });
    await page.click('#lang-switch');
    await page.locator('#report h1', { hasText: 'Electronic documents' }).waitFor();
    assert.equal(await figure('report-accept'), '3 h');
    await page.click('#lang-switch');
    await page.close();
  });

  it('renames an agency from its page after a confirmation; the page shows its history and the medians of its answers', async () => {
    const page = await newPage();
    await logIn(page, 'ops');
    await page.waitForSelector('[data-figure=received]');
    await page.goto(`${url}/console/#/agencies/000.00.00.H14`);
    await page.waitForSelector('#rename-form');
    const figure = async (id: string): Promise<string> => (await page.textContent(`[data-figure=${id}] .figure-value`))?.trim() ?? '';
    assert.equal(await figure('agency-accept'), '3 giờ', 'the report\'s statuses: accepted after 2 h and 4 h');
    assert.equal(await figure('agency-finish'), '4 giờ');
    await page.fill('#rename-name', 'UBND tỉnh Cao Bằng (mới)');
    await page.click('#rename-form button[type=submit]');
    await page.waitForSelector('#rename-dialog[open]');
    assert.match(await page.textContent('#rename-warning') ?? '', /UBND tỉnh Cao Bằng \(mới\)/);
    await shot(page, '12-agency-rename');
    assert.deepEqual(await axeViolations(page), []);
    await page.click('#rename-confirm');
    await page.locator('#agency-history li[data-kind=renamed]').waitFor();
    assert.match(await page.textContent('#agency-history li[data-kind=renamed]') ?? '', /UBND tỉnh Cao Bằng → UBND tỉnh Cao Bằng \(mới\).*console:ops/);
    assert.equal(await page.textContent('h1'), 'UBND tỉnh Cao Bằng (mới) (000.00.00.H14)');
    assert.equal((await t.hub.ctx.store.getAgency('000.00.00.H14'))?.name, 'UBND tỉnh Cao Bằng (mới)');
    // The agency merged earlier in the console shows that merger in its history, and its successor shows it too.
    await page.goto(`${url}/console/#/agencies/000.00.15.H24`);
    await page.locator('#agency-history li[data-kind=merged]').waitFor();
    assert.match(await page.textContent('#agency-history') ?? '', /000\.00\.00\.H24/);
    await page.goto(`${url}/console/#/agencies/000.00.00.H24`);
    await page.locator('#agency-history li[data-kind=merged]').waitFor();
    await shot(page, '13-agency-history');
    assert.deepEqual(await axeViolations(page), []);
    await page.close();
  });

  it('shows operators the systems (rotating credentials shows them once) and the health page; leaders see neither', async () => {
    t.clock.advance(3600 * 1000);
    const calledAt = new Date(t.clock.now()).toISOString();
    assert.equal((await fetch(`${url}/v1/inbox`, { headers: { authorization: `Bearer ${t.systems['caobang']?.token}` } })).status, 200);
    const page = await newPage();
    await logIn(page, 'ops');
    await page.waitForSelector('[data-figure=received]');
    assert.match(await page.textContent('[data-figure=active-points] .figure-value') ?? '', /^1\/\d+$/, 'Cao Bằng\'s system is the one active in the last 24 h');
    await page.goto(`${url}/console/#/systems`);
    await page.waitForSelector('[data-rotate="sys.caobang"]');
    // The page writes times as Việt Nam reads them: the browser formats the expected one the same way.
    const shown = (iso: string): Promise<string> => page.evaluate((x) => new Date(x).toLocaleString('vi-VN', { timeZone: 'Asia/Ho_Chi_Minh', dateStyle: 'short', timeStyle: 'short' }), iso);
    assert.equal(await page.textContent('[data-last-seen="sys.caobang"]'), await shown(calledAt), 'last seen: the call just made');
    assert.equal(await page.textContent('[data-protocol="sys.caobang"]'), 'API gốc (token)');
    assert.equal(await page.textContent('[data-last-seen="sys.hanoi"]'), '—', 'Hà Nội\'s system never called');
    await shot(page, '08-systems');
    assert.deepEqual(await axeViolations(page), []);
    page.once('dialog', (d) => { void d.accept(); });
    await page.click('[data-rotate="sys.caobang"]');
    const token = (await page.locator('#new-token').textContent()) ?? '';
    t.clock.advance(5 * 60 * 1000);
    const rotatedAt = new Date(t.clock.now()).toISOString();
    const inbox = await fetch(`${url}/v1/inbox`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(inbox.status, 200, 'the token shown once works');
    const old = await fetch(`${url}/v1/inbox`, { headers: { authorization: `Bearer ${t.systems['caobang']?.token}` } });
    assert.equal(old.status, 401, 'the old one stopped working');
    forgive(/status of 401/);
    await page.reload();
    await page.waitForSelector('[data-rotate="sys.caobang"]');
    assert.equal(await page.textContent('[data-last-seen="sys.caobang"]'), await shown(rotatedAt), 'last seen moved with the call made with the new token');
    // Adding a system: the form, a confirmation, credentials shown once and working, the table listing it.
    await page.fill('#add-system-form input[name=id]', 'sys.caobang2');
    await page.fill('#add-system-form input[name=name]', 'Văn phòng UBND Cao Bằng');
    await page.fill('#add-system-form input[name=agencies]', '000.00.00.H14');
    page.once('dialog', (d) => { assert.match(d.message(), /sys\.caobang2/); void d.accept(); });
    await page.click('#add-system-form button[type=submit]');
    await page.waitForSelector('[data-rotate="sys.caobang2"]');
    const added = (await page.locator('#new-token').textContent()) ?? '';
    assert.equal((await fetch(`${url}/v1/inbox`, { headers: { authorization: `Bearer ${added}` } })).status, 200, 'the new system\'s token works');
    assert.equal((await t.hub.ctx.store.events(0, 1_000_000)).filter((e) => e.type === 'system:added' && e.actor === 'console:ops').length, 1);
    await page.goto(`${url}/console/#/health`);
    await page.waitForSelector('[data-figure=dead]');
    assert.match(await page.textContent('#recent-errors') ?? '', /VDXP_E_AUTH_INVALID/, 'the old token\'s refusal is among the recent errors');
    assert.ok(await page.locator('[data-figure=database-size]').count() === 1 && await page.locator('[data-figure=disk-free]').count() === 1);
    await shot(page, '09-health');
    assert.deepEqual(await axeViolations(page), []);
    await page.close();
    const leader = await newPage();
    await logIn(leader, 'nghean');
    await leader.waitForSelector('[data-figure=received]');
    assert.doesNotMatch(await leader.textContent('nav') ?? '', /Hệ thống|Vận hành/);
    await leader.close();
  });

  it('shows the year\'s holidays on the calendar page; a nationwide operator adds a day off after a confirmation and removes it', async () => {
    const page = await newPage();
    await logIn(page, 'ops');
    await page.waitForSelector('[data-figure=received]');
    await page.goto(`${url}/console/#/calendar?year=2027`);
    await page.waitForSelector('#calendar-add-form');
    assert.ok(await page.locator('time[datetime="2027-02-06"]').count() === 1, 'Tết 2027 listed among the statutory holidays');
    await page.fill('#calendar-day', '2027-01-04');
    await page.fill('#calendar-note', 'Nghỉ bù Tết Dương lịch');
    await page.click('#calendar-add-form button[type=submit]');
    await page.waitForSelector('#calendar-add-dialog[open]');
    assert.match(await page.textContent('#calendar-add-warning') ?? '', /2027-01-04/);
    await page.click('#calendar-add-confirm');
    await page.waitForSelector('[data-remove-day="2027-01-04"]');
    assert.match(await page.textContent('#calendar-result') ?? '', /Đã cập nhật lịch/);
    assert.deepEqual((await t.hub.ctx.store.calendarDays('2027-01-01', '2027-12-31')).map((d) => [d.day, d.kind, d.note]), [['2027-01-04', 'off', 'Nghỉ bù Tết Dương lịch']]);
    await shot(page, '14-calendar');
    assert.deepEqual(await axeViolations(page), []);
    page.once('dialog', (d) => { void d.accept(); });
    await page.click('[data-remove-day="2027-01-04"]');
    await page.locator('#calendar-entries', { hasText: 'Không có.' }).waitFor();
    assert.deepEqual(await t.hub.ctx.store.calendarDays('2027-01-01', '2027-12-31'), []);
    await page.close();
    const leader = await newPage();
    await logIn(leader, 'nghean');
    await leader.waitForSelector('[data-figure=received]');
    await leader.goto(`${url}/console/#/calendar?year=2027`);
    await leader.waitForSelector('time[datetime="2027-02-06"]');
    assert.equal(await leader.locator('#calendar-add-form').count(), 0, 'a leader reads the calendar, does not change it');
    await leader.close();
  });

  it('had no page error and no console error on any page', () => {
    assert.deepEqual(problems, []);
  });
});
