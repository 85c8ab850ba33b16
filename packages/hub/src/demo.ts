// The demo registry `vdxp serve` seeds into an empty data folder, so a first run can exchange documents at
// once: the Government Office, some ministries, the 34 provinces and cities after the 1 July 2025 merger
// (with the 29 merged-away provinces routing to their successors), a few departments and communes, and demo
// systems with fresh credentials. Every name starts with DEMO_LABEL: none of this is an official directory.

import type { HubContext } from './context.ts';
import { addSystem, importAgencies, mergeAgency, type AgencyDraft, type Credentials } from './registry.ts';
import { addUser } from './users.ts';
import type { UserRole } from './store/store.ts';

export const DEMO_LABEL = '[DEMO]';

/** Ids of the demo systems all start with this, so an operator can tell them apart from real ones. */
export const DEMO_SYSTEM_PREFIX = 'demo.';

const label = (name: string): string => `${DEMO_LABEL} ${name}`;

// Level-1 codes. G22 (Văn phòng Chính phủ) and G12 (Bộ Tài chính) appear in real packets; the other G codes
// are those public-service software uses for the ministries' sectors, unverified against the axis directory.
const MINISTRIES: readonly (readonly [code: string, name: string])[] = [
  ['000.00.00.G22', 'Văn phòng Chính phủ'],
  ['000.00.00.G01', 'Bộ Công an'],
  ['000.00.00.G02', 'Bộ Công Thương'],
  ['000.00.00.G03', 'Bộ Giáo dục và Đào tạo'],
  ['000.00.00.G06', 'Bộ Khoa học và Công nghệ'],
  ['000.00.00.G08', 'Bộ Ngoại giao'],
  ['000.00.00.G09', 'Bộ Nội vụ'],
  ['000.00.00.G12', 'Bộ Tài chính'],
  ['000.00.00.G15', 'Bộ Tư pháp'],
  ['000.00.00.G17', 'Bộ Xây dựng'],
  ['000.00.00.G18', 'Bộ Y tế'],
];

/** Ministries merged in the March 2025 reorganisation: documents still addressed to them reach the successor. */
const MERGED_MINISTRIES: readonly (readonly [code: string, name: string, into: string])[] = [
  ['000.00.00.G05', 'Bộ Kế hoạch và Đầu tư', '000.00.00.G12'],
  ['000.00.00.G04', 'Bộ Giao thông vận tải', '000.00.00.G17'],
];

// Province codes: the legacy H codes number the 63 pre-2025 provinces in alphabetical order of their names
// without diacritics (H14 Cao Bằng, H29 TP Hồ Chí Minh, H41 Nghệ An and H56 Thanh Hóa match published codes;
// the rest follow that order and are unverified). Each of the 34 units keeps the code of the province whose
// name it kept; the merged-away provinces keep theirs, marked merged into it. Demo data: check real codes
// against the axis directory before relying on them.
export interface DemoProvince {
  code: string;
  name: string;
  city: boolean;
  /** Provinces merged into this one on 1 July 2025 (Resolution 202/2025/QH15). */
  absorbed: readonly (readonly [code: string, name: string])[];
}

const p = (n: string, name: string, absorbed: DemoProvince['absorbed'] = [], city = false): DemoProvince =>
  ({ code: `000.00.00.H${n}`, name, city, absorbed: absorbed.map(([c, nm]) => [`000.00.00.H${c}`, nm] as const) });

export const DEMO_PROVINCES: readonly DemoProvince[] = [
  p('24', 'Hà Nội', [], true),
  p('57', 'Huế', [], true),
  p('35', 'Lai Châu'),
  p('18', 'Điện Biên'),
  p('52', 'Sơn La'),
  p('37', 'Lạng Sơn'),
  p('49', 'Quảng Ninh'),
  p('56', 'Thanh Hóa'),
  p('41', 'Nghệ An'),
  p('25', 'Hà Tĩnh'),
  p('14', 'Cao Bằng'),
  p('60', 'Tuyên Quang', [['22', 'Hà Giang']]),
  p('38', 'Lào Cai', [['63', 'Yên Bái']]),
  p('55', 'Thái Nguyên', [['04', 'Bắc Kạn']]),
  p('44', 'Phú Thọ', [['62', 'Vĩnh Phúc'], ['30', 'Hòa Bình']]),
  p('06', 'Bắc Ninh', [['03', 'Bắc Giang']]),
  p('31', 'Hưng Yên', [['54', 'Thái Bình']]),
  p('27', 'Hải Phòng', [['26', 'Hải Dương']], true),
  p('42', 'Ninh Bình', [['23', 'Hà Nam'], ['40', 'Nam Định']]),
  p('50', 'Quảng Trị', [['46', 'Quảng Bình']]),
  p('15', 'Đà Nẵng', [['47', 'Quảng Nam']], true),
  p('48', 'Quảng Ngãi', [['34', 'Kon Tum']]),
  p('21', 'Gia Lai', [['08', 'Bình Định']]),
  p('32', 'Khánh Hòa', [['43', 'Ninh Thuận']]),
  p('36', 'Lâm Đồng', [['17', 'Đắk Nông'], ['11', 'Bình Thuận']]),
  p('16', 'Đắk Lắk', [['45', 'Phú Yên']]),
  p('29', 'Hồ Chí Minh', [['09', 'Bình Dương'], ['02', 'Bà Rịa - Vũng Tàu']], true),
  p('19', 'Đồng Nai', [['10', 'Bình Phước']]),
  p('53', 'Tây Ninh', [['39', 'Long An']]),
  p('13', 'Cần Thơ', [['51', 'Sóc Trăng'], ['28', 'Hậu Giang']], true),
  p('61', 'Vĩnh Long', [['07', 'Bến Tre'], ['59', 'Trà Vinh']]),
  p('20', 'Đồng Tháp', [['58', 'Tiền Giang']]),
  p('12', 'Cà Mau', [['05', 'Bạc Liêu']]),
  p('01', 'An Giang', [['33', 'Kiên Giang']]),
];

const provinceBody = (pr: DemoProvince): string => (pr.city ? `UBND thành phố ${pr.name}` : `UBND tỉnh ${pr.name}`);

// Level 2: departments, in the legacy form `000.00.NN.Hxx`. Level 3: communes. Districts were abolished on
// 1 July 2025, so a commune sits directly under its province: `000.NN.00.Hxx`, the level-3 form with no
// level-2 unit (edxml reads its parent as the province). Unit numbers are illustrative, names demo.
const UNITS: readonly (readonly [code: string, name: string])[] = [
  ['000.00.01.H41', 'Văn phòng UBND tỉnh Nghệ An'],
  ['000.00.02.H41', 'Sở Tài chính tỉnh Nghệ An'],
  ['000.00.15.H41', 'Sở Nội vụ tỉnh Nghệ An'],
  ['000.00.20.H41', 'Sở Y tế tỉnh Nghệ An'],
  ['000.01.00.H41', 'UBND phường Trường Vinh, tỉnh Nghệ An'],
  ['000.02.00.H41', 'UBND phường Thành Vinh, tỉnh Nghệ An'],
  ['000.03.00.H41', 'UBND phường Vinh Hưng, tỉnh Nghệ An'],
  ['000.04.00.H41', 'UBND phường Cửa Lò, tỉnh Nghệ An'],
  ['000.00.01.H24', 'Văn phòng UBND thành phố Hà Nội'],
  ['000.00.15.H24', 'Sở Nội vụ thành phố Hà Nội'],
  ['000.01.00.H24', 'UBND phường Hoàn Kiếm, thành phố Hà Nội'],
  ['000.02.00.H24', 'UBND phường Ba Đình, thành phố Hà Nội'],
  ['000.03.00.H24', 'UBND phường Cửa Nam, thành phố Hà Nội'],
];

export interface DemoSystem {
  id: string;
  name: string;
  agencies: readonly string[];
}

export const DEMO_SYSTEMS: readonly DemoSystem[] = [
  { id: 'demo.vpcp', name: label('QLVBĐH Văn phòng Chính phủ'), agencies: ['000.00.00.G22'] },
  { id: 'demo.btc', name: label('QLVBĐH Bộ Tài chính'), agencies: ['000.00.00.G12'] },
  {
    id: 'demo.nghean', name: label('QLVBĐH tỉnh Nghệ An: UBND tỉnh và các sở'),
    agencies: ['000.00.00.H41', '000.00.01.H41', '000.00.02.H41', '000.00.15.H41', '000.00.20.H41'],
  },
  { id: 'demo.hanoi', name: label('QLVBĐH thành phố Hà Nội'), agencies: ['000.00.00.H24', '000.00.01.H24', '000.00.15.H24'] },
  {
    // One SaaS system serving communes of several provinces, as vendors' shared platforms do.
    id: 'demo.saas', name: label('QLVBĐH dùng chung cho xã, phường (SaaS)'),
    agencies: ['000.01.00.H41', '000.02.00.H41', '000.03.00.H41', '000.04.00.H41', '000.01.00.H24', '000.02.00.H24', '000.03.00.H24'],
  },
];

/** Every demo agency, parents before children; the merged-away ones are listed here as active (see DEMO_MERGERS). */
export const DEMO_AGENCIES: readonly AgencyDraft[] = [
  ...MINISTRIES.map(([code, name]) => ({ code, name: label(name) })),
  ...MERGED_MINISTRIES.map(([code, name]) => ({ code, name: label(name) })),
  ...DEMO_PROVINCES.map((pr) => ({ code: pr.code, name: label(provinceBody(pr)) })),
  ...DEMO_PROVINCES.flatMap((pr) => pr.absorbed.map(([code, name]) => ({ code, name: label(`UBND tỉnh ${name} (hợp nhất vào ${pr.name} từ 01/7/2025)`) }))),
  ...UNITS.map(([code, name]) => ({ code, name: label(name) })),
];

/** Agencies that no longer exist, and where their documents go. */
export const DEMO_MERGERS: readonly { code: string; into: string }[] = [
  ...MERGED_MINISTRIES.map(([code, , into]) => ({ code, into })),
  ...DEMO_PROVINCES.flatMap((pr) => pr.absorbed.map(([code]) => ({ code, into: pr.code }))),
];

export interface DemoSeedResult {
  agenciesAdded: number;
  mergersApplied: number;
  /** Systems created by this run, with their only clear copy of the token. */
  systemsAdded: (Credentials & { name: string; agencies: readonly string[] })[];
  /** Demo systems that existed already: their token cannot be shown again, only rotated. */
  systemsExisting: string[];
}

/**
 * Seeds the demo registry. Idempotent, and never overwrites: agencies and systems that exist already (the
 * operator's or an earlier seed's) are left as they are, so a second run changes nothing and records nothing.
 */
export async function seedDemo(ctx: HubContext, actor = 'demo-seed'): Promise<DemoSeedResult> {
  const missing: AgencyDraft[] = [];
  for (const d of DEMO_AGENCIES) if (!(await ctx.store.getAgency(d.code))) missing.push(d);
  if (missing.length > 0) await importAgencies(ctx, missing, actor);

  let mergersApplied = 0;
  for (const m of DEMO_MERGERS) {
    const a = await ctx.store.getAgency(m.code);
    // Only our own, still-active rows: an operator's agency with the same code is not ours to change.
    if (a?.state !== 'active' || !a.name.startsWith(DEMO_LABEL)) continue;
    await mergeAgency(ctx, m.code, m.into, actor);
    mergersApplied++;
  }

  const result: DemoSeedResult = { agenciesAdded: missing.length, mergersApplied, systemsAdded: [], systemsExisting: [] };
  for (const s of DEMO_SYSTEMS) {
    if (await ctx.store.getSystem(s.id)) {
      result.systemsExisting.push(s.id);
      continue;
    }
    const credentials = await addSystem(ctx, { id: s.id, name: s.name, agencies: [...s.agencies] }, actor);
    result.systemsAdded.push({ ...credentials, name: s.name, agencies: s.agencies });
  }
  return result;
}

/** Whether the registry holds nothing yet: `vdxp serve` seeds the demo registry by default only then. */
export async function registryIsEmpty(ctx: HubContext): Promise<boolean> {
  return (await ctx.store.countAgencies()) === 0 && (await ctx.store.listSystems()).length === 0;
}

/** Console accounts a new demo hub gets: a leader who sees everything (the Government Office) and an operator. */
export const DEMO_USERS: readonly { username: string; role: UserRole; scope: string | null }[] = [
  { username: 'demo-lanhdao', role: 'leader', scope: null },
  { username: 'demo-lanhdao-nghean', role: 'leader', scope: '000.00.00.H41' },
  { username: 'demo-vanhanh', role: 'operator', scope: null },
];

/** Creates the demo console accounts that do not exist yet, each with a fresh random password shown only now. */
export async function seedDemoUsers(ctx: HubContext, actor = 'demo-seed'): Promise<{ username: string; role: UserRole; scope: string | null; password: string }[]> {
  const made = [];
  for (const u of DEMO_USERS) {
    if (await ctx.store.getUser(u.username)) continue;
    if (u.scope !== null && !(await ctx.store.getAgency(u.scope))) continue;
    const password = ctx.random.token(12);
    await addUser(ctx, { ...u, password }, actor);
    made.push({ ...u, password });
  }
  return made;
}
