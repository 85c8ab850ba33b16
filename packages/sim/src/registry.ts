// The national registry the simulator runs on, shaped like today's: the Government Office, the ministries and
// ministry-level bodies with their units, the 34 provinces and centrally-run cities after 1 July 2025 with
// their departments and 3,321 communes and wards (no districts), Party and Front bodies; and the systems that
// connect them. Deterministic from a seed. Optionally the legacy directory (≈111,000 agencies under the 63
// old provinces and their districts), whose rows merge into or dissolve towards today's units.
//
// Every name starts with SIM_LABEL: this is a simulation, not an official directory. Province codes and names
// come from the hub's demo list (one place); the other level-1 codes are illustrative (see the notes below).

import { DEMO_PROVINCES, type AgencyDraft } from '@vdxp/hub';
import { Prng } from './prng.ts';

export const SIM_LABEL = '[MÔ PHỎNG]';
/** Ids of simulated systems all start with this. */
export const SIM_SYSTEM_PREFIX = 'sim.';

const label = (name: string): string => `${SIM_LABEL} ${name}`;

/** Where a simulated agency sits: it decides how much traffic it sends and to whom. */
export const AGENCY_ROLES = ['centre', 'ministry-unit', 'party', 'province', 'department', 'commune'] as const;
export type AgencyRole = (typeof AGENCY_ROLES)[number];

export interface SimAgency extends AgencyDraft {
  role: AgencyRole;
  /** The province (its code) for provincial agencies; the level-1 body for central ones. */
  home: string;
  system: string;
}

export interface SimSystem {
  id: string;
  name: string;
  agencies: string[];
}

export interface NationalRegistry {
  agencies: SimAgency[];
  /** The 29 provinces merged away on 1 July 2025, kept as rows that route to their successor. */
  mergedProvinces: { code: string; name: string; into: string }[];
  systems: SimSystem[];
  /** Province code → its communes' codes, for the traffic model. */
  communesOf: Map<string, string[]>;
  /** Province code → its departments' codes (UBND's office first). */
  departmentsOf: Map<string, string[]>;
  /** Central bodies (Government Office, ministries, ministry-level bodies, Party and Front), level 1. */
  centre: string[];
}

// After the March 2025 reorganisation: 14 ministries, 3 ministry-level bodies and the Government's agencies.
// G22, G01, G02, G03, G06, G08, G09, G12, G15, G17, G18 are the codes the hub's demo uses; the rest are
// illustrative, unverified against the axis directory.
const CENTRAL_BODIES: readonly (readonly [code: string, name: string])[] = [
  ['G22', 'Văn phòng Chính phủ'],
  ['G13', 'Bộ Quốc phòng'],
  ['G01', 'Bộ Công an'],
  ['G08', 'Bộ Ngoại giao'],
  ['G09', 'Bộ Nội vụ'],
  ['G15', 'Bộ Tư pháp'],
  ['G12', 'Bộ Tài chính'],
  ['G02', 'Bộ Công Thương'],
  ['G10', 'Bộ Nông nghiệp và Môi trường'],
  ['G17', 'Bộ Xây dựng'],
  ['G14', 'Bộ Văn hóa, Thể thao và Du lịch'],
  ['G06', 'Bộ Khoa học và Công nghệ'],
  ['G03', 'Bộ Giáo dục và Đào tạo'],
  ['G18', 'Bộ Y tế'],
  ['G11', 'Bộ Dân tộc và Tôn giáo'],
  ['G19', 'Thanh tra Chính phủ'],
  ['G20', 'Ngân hàng Nhà nước Việt Nam'],
  ['G23', 'Đài Truyền hình Việt Nam'],
  ['G24', 'Đài Tiếng nói Việt Nam'],
  ['G25', 'Thông tấn xã Việt Nam'],
  ['G26', 'Viện Hàn lâm Khoa học xã hội Việt Nam'],
  ['G27', 'Viện Hàn lâm Khoa học và Công nghệ Việt Nam'],
  ['G28', 'Đại học Quốc gia Hà Nội'],
  ['G29', 'Đại học Quốc gia Thành phố Hồ Chí Minh'],
];

const CENTRAL_UNITS = [
  'Văn phòng', 'Vụ Tổ chức cán bộ', 'Vụ Pháp chế', 'Vụ Kế hoạch - Tài chính', 'Vụ Hợp tác quốc tế', 'Thanh tra',
  'Vụ Tổng hợp', 'Cục Chuyển đổi số', 'Cục Quản lý chuyên ngành', 'Vụ Thi đua - Khen thưởng', 'Trung tâm Thông tin', 'Vụ Khoa học',
];

// Party and Front bodies. The axis's level-1 letters for them are not published; K (Đảng) and M (Mặt trận) are
// illustrative, as are the provincial units 90 and 91 below.
const PARTY_BODIES: readonly (readonly [code: string, name: string])[] = [
  ['K01', 'Văn phòng Trung ương Đảng'],
  ['K02', 'Ban Tổ chức Trung ương'],
  ['K03', 'Ban Tuyên giáo và Dân vận Trung ương'],
  ['K04', 'Ủy ban Kiểm tra Trung ương'],
  ['K05', 'Ban Chính sách, chiến lược Trung ương'],
  ['K06', 'Ban Nội chính Trung ương'],
  ['K07', 'Đảng ủy Chính phủ'],
  ['M01', 'Ủy ban Trung ương Mặt trận Tổ quốc Việt Nam'],
];

/** Provincial departments after 2025 (unit number, name); 01, 02, 15 and 20 match the hub's demo. */
const DEPARTMENTS: readonly (readonly [unit: string, name: string])[] = [
  ['01', 'Văn phòng UBND'], ['02', 'Sở Tài chính'], ['03', 'Văn phòng Đoàn ĐBQH và HĐND'], ['04', 'Sở Tư pháp'],
  ['05', 'Sở Công Thương'], ['06', 'Sở Xây dựng'], ['07', 'Sở Nông nghiệp và Môi trường'], ['08', 'Sở Khoa học và Công nghệ'],
  ['09', 'Sở Giáo dục và Đào tạo'], ['10', 'Sở Văn hóa, Thể thao và Du lịch'], ['11', 'Thanh tra tỉnh'], ['12', 'Sở Dân tộc và Tôn giáo'],
  ['15', 'Sở Nội vụ'], ['20', 'Sở Y tế'], ['90', 'Tỉnh ủy'], ['91', 'Ủy ban MTTQ Việt Nam'],
];

/**
 * Communes and wards per province after 1 July 2025 (Resolutions of the National Assembly Standing Committee
 * on the arrangement of commune-level units), in DEMO_PROVINCES' codes; they add up to 3,321. Their names here
 * are generated.
 */
export const COMMUNES_PER_PROVINCE: Readonly<Record<string, number>> = {
  H24: 126, H57: 40, H35: 38, H18: 45, H52: 75, H37: 65, H49: 54, H56: 166, H41: 130, H25: 69, H14: 56,
  H60: 124, H38: 99, H55: 92, H44: 148, H06: 99, H31: 104, H27: 114, H42: 129, H50: 78, H15: 94, H48: 96,
  H21: 135, H32: 65, H36: 124, H16: 102, H29: 168, H19: 95, H53: 96, H13: 103, H61: 124, H20: 102, H12: 64, H01: 102,
};

export const COMMUNES_TOTAL = 3321;

const SYLLABLES = [
  'An', 'Bình', 'Hòa', 'Phú', 'Thạnh', 'Tân', 'Long', 'Phước', 'Đông', 'Tây', 'Nam', 'Bắc', 'Trung', 'Hưng', 'Thịnh',
  'Quang', 'Minh', 'Đức', 'Nghĩa', 'Thuận', 'Lộc', 'Sơn', 'Hải', 'Hà', 'Lâm', 'Mỹ', 'Vĩnh', 'Khánh', 'Xuân', 'Thành',
  'Cát', 'Kim', 'Ngọc', 'Hồng', 'Tiến', 'Yên', 'Lạc', 'Đồng', 'Trường', 'Hiệp',
];

/** The legacy level-1 body of a province code (`000.00.00.H41` → `H41`). */
const level1 = (code: string): string => code.slice(-3);

function provinceBody(city: boolean, name: string): string {
  return city ? `UBND thành phố ${name}` : `UBND tỉnh ${name}`;
}

/** Generates the national registry. Same seed, same registry (codes never depend on the seed, only names do). */
export function nationalRegistry(seed = 1): NationalRegistry {
  const rng = new Prng(seed).fork('registry');
  const agencies: SimAgency[] = [];
  const systems: SimSystem[] = [];
  const centre: string[] = [];
  const communesOf = new Map<string, string[]>();
  const departmentsOf = new Map<string, string[]>();

  for (const [index, [body, name]] of CENTRAL_BODIES.entries()) {
    const code = `000.00.00.${body}`;
    const system = `${SIM_SYSTEM_PREFIX}${body.toLowerCase()}`;
    agencies.push({ code, name: label(name), role: 'centre', home: code, system });
    centre.push(code);
    // Between 6 and 12 units, fixed per body: codes do not depend on the seed.
    const units = body === 'G22' ? CENTRAL_UNITS.length : 6 + ((index * 5) % 7);
    for (let i = 0; i < units; i++) {
      agencies.push({ code: `000.00.${String(i + 1).padStart(2, '0')}.${body}`, name: label(`${CENTRAL_UNITS[i] ?? 'Đơn vị'} - ${name}`), role: 'ministry-unit', home: code, system });
    }
    systems.push({ id: system, name: label(`QLVBĐH ${name}`), agencies: agencies.filter((a) => a.system === system).map((a) => a.code) });
  }
  const partySystem = `${SIM_SYSTEM_PREFIX}dang`;
  const frontSystem = `${SIM_SYSTEM_PREFIX}mttq`;
  for (const [body, name] of PARTY_BODIES) {
    const code = `000.00.00.${body}`;
    agencies.push({ code, name: label(name), role: 'party', home: code, system: body.startsWith('K') ? partySystem : frontSystem });
    centre.push(code);
  }
  systems.push({ id: partySystem, name: label('QLVBĐH khối Đảng Trung ương'), agencies: agencies.filter((a) => a.system === partySystem).map((a) => a.code) });
  systems.push({ id: frontSystem, name: label('QLVBĐH Mặt trận Tổ quốc Việt Nam'), agencies: agencies.filter((a) => a.system === frontSystem).map((a) => a.code) });

  const mergedProvinces: NationalRegistry['mergedProvinces'] = [];
  for (const pr of DEMO_PROVINCES) {
    const l1 = level1(pr.code);
    const body = provinceBody(pr.city, pr.name);
    const provinceSystem = `${SIM_SYSTEM_PREFIX}${l1.toLowerCase()}`;
    const communeSystem = `${provinceSystem}.xa`;
    agencies.push({ code: pr.code, name: label(body), role: 'province', home: pr.code, system: provinceSystem });
    const departments: string[] = [];
    for (const [unit, name] of DEPARTMENTS) {
      const code = `000.00.${unit}.${l1}`;
      departments.push(code);
      agencies.push({ code, name: label(`${name} ${pr.city ? 'thành phố' : 'tỉnh'} ${pr.name}`), role: 'department', home: pr.code, system: provinceSystem });
    }
    departmentsOf.set(pr.code, departments);
    systems.push({ id: provinceSystem, name: label(`QLVBĐH ${body} và các sở`), agencies: [pr.code, ...departments] });

    // Communes sit directly under the province (no districts since 1 July 2025). The legacy form has two digits
    // for level 3, too few for Thanh Hóa's 166, so a commune is `NNN.00.00.Hxx`: the level-4 group with the
    // levels between left at zero (edxml reads its parent as the province), registered at level 3.
    const count = COMMUNES_PER_PROVINCE[l1];
    if (count === undefined) throw new Error(`assertion: a commune count for ${l1}`);
    const communes: string[] = [];
    const used = new Set<string>();
    for (let i = 1; i <= count; i++) {
      const code = `${String(i).padStart(3, '0')}.00.00.${l1}`;
      const ward = rng.chance(pr.city ? 0.6 : 0.12);
      let name = `${rng.pick(SYLLABLES)} ${rng.pick(SYLLABLES)}`;
      if (used.has(name)) name = `${name} ${i}`;
      used.add(name);
      communes.push(code);
      agencies.push({
        code, parent: pr.code, level: 3, name: label(`UBND ${ward ? 'phường' : 'xã'} ${name}, ${pr.city ? 'thành phố' : 'tỉnh'} ${pr.name}`),
        role: 'commune', home: pr.code, system: communeSystem,
      });
    }
    communesOf.set(pr.code, communes);
    // One SaaS system per province serves all its communes, as vendors' shared platforms do.
    systems.push({ id: communeSystem, name: label(`QLVBĐH dùng chung cho xã, phường ${pr.city ? 'thành phố' : 'tỉnh'} ${pr.name}`), agencies: communes });
    for (const [code, name] of pr.absorbed) mergedProvinces.push({ code, name: label(`UBND tỉnh ${name} (hợp nhất vào ${pr.name} từ 01/7/2025)`), into: pr.code });
  }
  return { agencies, mergedProvinces, systems, communesOf, departmentsOf, centre };
}

export interface LegacyDirectory {
  agencies: AgencyDraft[];
  /** Old communes merged into today's communes, old districts dissolved towards their province. */
  changes: { code: string; state: 'merged' | 'dissolved'; successor: string }[];
}

export const LEGACY_AGENCIES_DEFAULT = 111_000;

/**
 * The legacy directory: for each of the 63 provinces before the merger, its districts (`000.DD.00.Hxx`,
 * dissolved on 1 July 2025 with the province as successor), their communes (`NNN.DD.00.Hxx`, NNN < 100,
 * merged into a commune of today's province) and their other units (schools, health stations…, NNN ≥ 100,
 * still listed with their old codes), until `total` agencies are listed. Codes never collide with the national
 * registry's: today's communes have zeros where districts had their number.
 */
export function legacyDirectory(national: NationalRegistry, seed = 1, total = LEGACY_AGENCIES_DEFAULT): LegacyDirectory {
  const rng = new Prng(seed).fork('legacy');
  const old = DEMO_PROVINCES.flatMap((pr) => [
    { code: pr.code, name: pr.name, successor: pr.code },
    ...pr.absorbed.map(([code, name]) => ({ code, name, successor: pr.code })),
  ]);
  const districtsPer = 11;
  const communesPerDistrict = 16;
  const perDistrict = Math.max(communesPerDistrict + 1, Math.ceil(total / (old.length * districtsPer)));
  if (perDistrict > 999) throw new Error(`A legacy directory of ${total} agencies needs more than 999 units per district`);
  const agencies: AgencyDraft[] = [];
  const changes: LegacyDirectory['changes'] = [];
  outer:
  for (let dd = 1; dd <= districtsPer; dd++) {
    for (const pr of old) {
      const l1 = level1(pr.code);
      const d = String(dd).padStart(2, '0');
      const district = `000.${d}.00.${l1}`;
      agencies.push({ code: district, name: label(`UBND huyện ${rng.pick(SYLLABLES)} ${rng.pick(SYLLABLES)}, tỉnh ${pr.name} (cũ)`) });
      changes.push({ code: district, state: 'dissolved', successor: pr.successor });
      const today = national.communesOf.get(pr.successor) ?? [];
      for (let n = 1; n < perDistrict; n++) {
        if (agencies.length >= total) break outer;
        const code = `${String(n <= communesPerDistrict ? n : 99 + n - communesPerDistrict).padStart(3, '0')}.${d}.00.${l1}`;
        if (n <= communesPerDistrict) {
          agencies.push({ code, name: label(`UBND xã ${rng.pick(SYLLABLES)} ${rng.pick(SYLLABLES)} (cũ), tỉnh ${pr.name}`) });
          if (today.length > 0) changes.push({ code, state: 'merged', successor: rng.pick(today) });
        } else {
          agencies.push({ code, name: label(`${rng.pick(['Trường', 'Trạm y tế', 'Chi cục', 'Ban quản lý'])} ${rng.pick(SYLLABLES)} ${n} (cũ), tỉnh ${pr.name}`) });
        }
      }
    }
  }
  return { agencies, changes };
}
