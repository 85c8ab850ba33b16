// Agency identifiers (mã định danh, docs/edxml.md): which form a code has, and what its legacy form says about level and parent.
//
// Codes are assigned by a registry, not derived from names, so nothing here decides whether an agency exists.
// What this module reads from a code is structural only: the registry stays the authority on parents and
// successors (agencies merge, split and dissolve). Strict legacy checking is a separate, explicit rule
// (assertLegacyAgencyCode) because test systems and newer codes use other forms on the wire.

import { EdxmlError } from './errors.ts';

export const AGENCY_CODE_FORMS = ['legacy', 'qd20', 'enterprise', 'free'] as const;
export type AgencyCodeForm = (typeof AGENCY_CODE_FORMS)[number];

/** From the level-1 letter: G central bodies (ministries, Government Office), H provinces, anything else other. */
export const AGENCY_BODY_KINDS = ['central', 'province', 'other'] as const;
export type AgencyBodyKind = (typeof AGENCY_BODY_KINDS)[number];

export const AGENCY_LEVELS = [1, 2, 3, 4] as const;
export type AgencyLevel = (typeof AGENCY_LEVELS)[number];

/** Longest OrganId accepted on the wire, in characters (code points). Legacy codes have 13. */
export const ORGAN_ID_CHARS_MAX = 64;

interface HierarchicalCode {
  code: string;
  /**
   * Depth given by the code's structure: the position of the lowest unit the code names. For legacy codes with
   * a zero group between non-zero ones (see `skipsLevel`), this is the position, not the number of ancestors.
   */
  level: AgencyLevel;
  /** The level-1 body, a capital letter and two digits (`G22`). */
  level1: string;
  bodyKind: AgencyBodyKind;
  /** The structural parent in the same form; undefined at level 1. The registry may know better. */
  parent: string | undefined;
}

/** QCVN 102 form `NNN.NN.NN.XNN`, e.g. `000.00.15.H51`. */
export interface LegacyAgencyCode extends HierarchicalCode {
  form: 'legacy';
  /** The four groups as written, left to right: level 4, level 3, level 2, level 1. */
  groups: readonly [level4: string, level3: string, level2: string, level1: string];
  /**
   * True when a zero group sits between the level-1 body and the lowest named unit (`000.12.00.H51`: a
   * level-3 unit with no level-2 unit above it). QCVN 102 writes zeros for "no unit at this level", so such
   * codes are accepted; their parent is the code with the lowest named unit removed (`000.00.00.H51`).
   */
  skipsLevel: boolean;
}

/**
 * Decision 20/2020/QĐ-TTg style, level 1 first: `G12`, `H41`, `G09.01`. Accepted liberally: a capital letter
 * and two digits, then up to three dot-separated groups of 1 to 4 digits. The decision was amended in 2025 and
 * group widths vary between publications, so widths are not checked more tightly than that.
 */
export interface Qd20AgencyCode extends HierarchicalCode {
  form: 'qd20';
  /** The groups as written, level 1 first. */
  groups: readonly string[];
}

/** Twelve digits: how enterprises appear on the axis. */
export interface EnterpriseAgencyCode {
  form: 'enterprise';
  code: string;
}

/** Any other acceptable OrganId (test systems use ids like `vxp.saas.03`): only the registry can judge it. */
export interface FreeAgencyCode {
  form: 'free';
  code: string;
}

export type AgencyCode = LegacyAgencyCode | Qd20AgencyCode | EnterpriseAgencyCode | FreeAgencyCode;

const LEGACY = /^(\d{3})\.(\d{2})\.(\d{2})\.([A-Z]\d{2})$/;
const QD20 = /^[A-Z]\d{2}(?:\.\d{1,4}){0,3}$/;
const ENTERPRISE = /^\d{12}$/;
// Whitespace, controls, format characters (zero-width spaces, BOM: invisible, so a spoofing risk) and lone
// surrogates have no place in an identifier that people compare by eye and systems compare byte for byte.
const NOT_IN_ORGAN_ID = /[\s\p{Cc}\p{Cf}\p{Cs}]/u;

/** Whether `s` is acceptable at all as an OrganId on the wire: non-empty, ≤ 64 characters, nothing invisible. */
export function isAcceptableOrganId(s: string): boolean {
  if (s.length === 0 || NOT_IN_ORGAN_ID.test(s)) return false;
  // Count code points only when UTF-16 length could exceed the limit (cheap path for the usual ASCII ids).
  return s.length <= ORGAN_ID_CHARS_MAX || [...s].length <= ORGAN_ID_CHARS_MAX;
}

export function isLegacyAgencyCode(s: string): boolean {
  return LEGACY.test(s);
}

/** Returns the parsed legacy code, or throws VDXP_E_AGENCY_CODE_INVALID naming `path` when given. */
export function assertLegacyAgencyCode(s: string, path?: string): LegacyAgencyCode {
  const parsed = parseLegacy(s);
  if (parsed === undefined) {
    throw new EdxmlError(
      'VDXP_E_AGENCY_CODE_INVALID',
      `Agency code ${JSON.stringify(s)} is not of the legacy form NNN.NN.NN.XNN (e.g. 000.00.00.G22); use the code the registry assigned`,
      { path },
    );
  }
  return parsed;
}

/**
 * Recognises the form of an agency code. Throws VDXP_E_AGENCY_CODE_INVALID only when the string is not
 * acceptable as an OrganId at all (see isAcceptableOrganId); every acceptable string has a form (`free`
 * at worst). The string is not trimmed: a code with surrounding spaces is refused, not silently repaired.
 */
export function parseAgencyCode(code: string, path?: string): AgencyCode {
  if (!isAcceptableOrganId(code)) {
    throw new EdxmlError(
      'VDXP_E_AGENCY_CODE_INVALID',
      `Agency code ${JSON.stringify(code)} is not acceptable: it must be 1 to ${ORGAN_ID_CHARS_MAX} characters without spaces or control characters`,
      { path },
    );
  }
  const legacy = parseLegacy(code);
  if (legacy) return legacy;
  if (QD20.test(code)) return parseQd20(code);
  if (ENTERPRISE.test(code)) return { form: 'enterprise', code };
  return { form: 'free', code };
}

function parseLegacy(code: string): LegacyAgencyCode | undefined {
  const m = LEGACY.exec(code);
  if (!m) return undefined;
  const groups = [m[1], m[2], m[3], m[4]] as [string, string, string, string];
  const [g4, g3, g2, level1] = groups;
  // Levels 4, 3, 2 in that order (left to right); the first non-zero one is the lowest unit named.
  const lower = [g4, g3, g2];
  const lowest = lower.findIndex((g) => !isZeros(g));
  if (lowest === -1) return { form: 'legacy', code, groups, level: 1, level1, bodyKind: bodyKind(level1), parent: undefined, skipsLevel: false };
  const level = (4 - lowest) as AgencyLevel;
  const skipsLevel = lower.slice(lowest + 1).some(isZeros);
  const parentGroups = lower.map((g, i) => (i === lowest ? g.replace(/\d/g, '0') : g));
  const parent = `${parentGroups.join('.')}.${level1}`;
  return { form: 'legacy', code, groups, level, level1, bodyKind: bodyKind(level1), parent, skipsLevel };
}

function parseQd20(code: string): Qd20AgencyCode {
  const groups = code.split('.');
  const level1 = groups[0] ?? code;
  const level = groups.length as AgencyLevel;
  const parent = groups.length > 1 ? groups.slice(0, -1).join('.') : undefined;
  return { form: 'qd20', code, groups, level, level1, bodyKind: bodyKind(level1), parent };
}

function isZeros(group: string): boolean {
  return /^0+$/.test(group);
}

function bodyKind(level1: string): AgencyBodyKind {
  if (level1.startsWith('G')) return 'central';
  if (level1.startsWith('H')) return 'province';
  return 'other';
}
