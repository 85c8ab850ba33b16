// The console's entry: who is logged in (or the login form), the navigation, and a hash router over the pages.

import './style.css';
import { api, ApiError, query, setCsrf, type User } from './api.ts';
import { field, h } from './dom.ts';
import { currentLang, setLang, t, type WordKey } from './i18n.ts';
import { agenciesPage, calendarPage, documentsPage, healthPage, overduePage, overviewPage, reportsPage, systemsPage, type PageContext } from './pages.ts';

const PAGES: Record<string, { word: WordKey; render: (p: PageContext) => Promise<void>; param?: string; roles?: readonly User['role'][] }> = {
  overview: { word: 'overview', render: overviewPage },
  overdue: { word: 'overdue', render: overduePage },
  documents: { word: 'documents', render: documentsPage, param: 'id' },
  agencies: { word: 'agencies', render: agenciesPage, param: 'code' },
  reports: { word: 'reportsPage', render: reportsPage },
  calendar: { word: 'calendarPage', render: calendarPage },
  systems: { word: 'systemsPage', render: systemsPage, roles: ['operator', 'auditor'] },
  health: { word: 'healthPage', render: healthPage, roles: ['operator', 'auditor'] },
};

const main = document.getElementById('main') as HTMLElement;
const top = document.getElementById('top') as HTMLElement;
let user: User | undefined;
let timers: number[] = [];

function applyLang(): void {
  document.documentElement.lang = currentLang();
  document.title = `vdxp — ${t('appName')}`;
  (document.getElementById('skip-link') as HTMLElement).textContent = t('skip');
}

function langButton(): HTMLButtonElement {
  return h('button', { type: 'button', class: 'lang', id: 'lang-switch', onclick: () => { setLang(currentLang() === 'vi' ? 'en' : 'vi'); void route(); } }, t('switchLang'));
}

function renderLogin(message = ''): void {
  top.hidden = true;
  // A route that ends here again (a hash change while the login form shows, a slow /me) keeps the form and what
  // was typed in it: replacing it would empty the fields under the user's hands. Only the message changes.
  const shown = document.getElementById('login-form');
  if (shown !== null && main.contains(shown) && shown.dataset['lang'] === currentLang()) {
    (shown.querySelector('#login-error') as HTMLElement).textContent = message;
    return;
  }
  const form = h('form', { class: 'login', id: 'login-form' },
    h('h1', {}, t('loginTitle')),
    h('p', { class: 'muted' }, t('appName')),
    h('label', { for: 'username' }, t('username')),
    h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autofocus: true }),
    h('label', { for: 'password' }, t('password')),
    h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    h('p', { role: 'alert', id: 'login-error', class: 'error' }, message),
    h('button', { type: 'submit' }, t('login')), ' ', langButton());
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    api<{ user: User; csrf: string }>('POST', '/login', { username: field(form, 'username'), password: field(form, 'password') })
      .then((r) => { user = r.user; setCsrf(r.csrf); if (location.hash === '' || location.hash === '#/login') location.hash = '#/overview'; void route(); })
      .catch((err: unknown) => { renderLogin(err instanceof ApiError && err.code === 'VDXP_E_CONSOLE_LOGIN_RATE_LIMITED' ? t('rateLimited') : t('loginFailed')); });
  });
  form.dataset['lang'] = currentLang();
  main.replaceChildren(form);
}

function renderTop(current: string): void {
  if (!user) return;
  const u = user;
  top.hidden = false;
  top.replaceChildren(
    h('span', { class: 'brand' }, 'vdxp'),
    h('nav', { 'aria-label': t('appName') }, h('ul', {}, ...Object.entries(PAGES).filter(([, page]) => !page.roles || page.roles.includes(u.role)).map(([key, page]) =>
      h('li', {}, h('a', { href: `#/${key}`, ...(key === current ? { 'aria-current': 'page' } : {}) }, t(page.word)))))),
    h('span', { class: 'who' }, `${u.username} · ${t(`role_${u.role}` as WordKey)} · ${u.scope ?? t('everything')}`),
    langButton(),
    h('button', { type: 'button', id: 'logout', onclick: () => { void api('POST', '/logout').finally(() => { user = undefined; location.hash = '#/login'; renderLogin(); }); } }, t('logout')),
  );
}

async function route(): Promise<void> {
  applyLang();
  for (const x of timers) clearInterval(x);
  timers = [];
  const [path = '', search = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [key = 'overview', ...rest] = path.split('/');
  const params = new URLSearchParams(search);
  let initial: unknown;
  if (!user) {
    // Landing on the overview (the usual first page), its figures come with the account: one round trip.
    const withOverview = (PAGES[key] ?? PAGES['overview']) === PAGES['overview'];
    const me = await api<{ user: User | null; csrf?: string; overview?: unknown }>('GET', `/me${withOverview ? query({ overview: '1', scope: params.get('scope') ?? undefined }) : ''}`)
      .catch(() => ({ user: null }));
    if (me.user === null) {
      renderLogin();
      return;
    }
    user = me.user;
    setCsrf(me.csrf ?? '');
    initial = 'overview' in me ? me.overview : undefined;
  }
  const page = PAGES[key] ?? PAGES['overview'];
  if (!page) return;
  if (page.param && rest.length > 0) params.set(page.param, decodeURIComponent(rest.join('/')));
  renderTop(PAGES[key] ? key : 'overview');
  main.replaceChildren(h('p', { class: 'muted' }, t('loading')));
  try {
    await page.render({ user, main, params, initial, every: (ms, fn) => { timers.push(window.setInterval(() => { void fn().catch(() => undefined); }, ms)); } });
  } catch (e) {
    if (e instanceof ApiError && e.code === 'VDXP_E_CONSOLE_AUTH') { user = undefined; renderLogin(); return; }
    const text = e instanceof ApiError && e.code === 'VDXP_E_CONSOLE_SCOPE' ? t('outOfScope') : `${t('error')}: ${(e as Error).message}`;
    main.replaceChildren(h('p', { role: 'alert', class: 'error', 'data-error': e instanceof ApiError ? e.code : 'unknown' }, text));
  }
  main.focus({ preventScroll: true });
}

// The skip link moves focus without touching the hash, which is the router's.
document.getElementById('skip-link')?.addEventListener('click', (e) => { e.preventDefault(); main.focus(); });
window.addEventListener('hashchange', () => { void route(); });
void route();
