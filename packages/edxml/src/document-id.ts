// DocumentId (`OrganId,yyyy/MM/dd,Number/Notation`, e.g. `000.00.00.G22,2015/09/30,7816/VPCP-TTĐT`): parse and format.
//
// The parts are positional: OrganId runs to the first comma, then comes a fixed-width date and a comma, and the
// rest splits at its first `/` into the number (số) and the notation (ký hiệu), which may hold further `/`,
// commas and Vietnamese letters. Parts are kept exactly as written (no trimming, no Unicode normalisation):
// the original text is the evidence. Real traffic also carries ids of no form at all (`test-123`); callers that
// must accept those use tryParseDocumentId and keep the raw string.

import { isAcceptableOrganId } from './agency-code.ts';
import { EdxmlError } from './errors.ts';

export interface DocumentIdParts {
  organId: string;
  /** `yyyy/MM/dd`, a real calendar date. */
  date: string;
  /** Before the first `/`: usually digits, but producers write `07`, `12a`… so any non-blank text without `/`. */
  number: string;
  /** After the first `/`, e.g. `VPCP-TTĐT` or `2024/QĐ-UBND`. */
  notation: string;
}

const DATE = /^(\d{4})\/(\d{2})\/(\d{2})$/;
// Number and notation: visible text, inner spaces allowed; no controls, no leading or trailing whitespace.
const CONTROL = /[\p{Cc}\p{Cs}]/u;
const EDGE_SPACE = /^\s|\s$/u;

/** Parses a DocumentId, or throws VDXP_E_DOCUMENT_ID_INVALID saying which part is wrong. */
export function parseDocumentId(s: string, path?: string): DocumentIdParts {
  const parts = splitDocumentId(s);
  if (typeof parts === 'string') throw invalid(s, parts, path);
  return parts;
}

/** Parses a DocumentId, or returns undefined when it is not of the form (free ids such as `test-123`). */
export function tryParseDocumentId(s: string): DocumentIdParts | undefined {
  const parts = splitDocumentId(s);
  return typeof parts === 'string' ? undefined : parts;
}

/** Writes a DocumentId from its parts; throws VDXP_E_DOCUMENT_ID_INVALID when a part could not be read back. */
export function formatDocumentId(parts: DocumentIdParts, path?: string): string {
  const problem = partsProblem(parts);
  const s = `${parts.organId},${parts.date},${parts.number}/${parts.notation}`;
  if (problem !== undefined) throw invalid(s, problem, path);
  return s;
}

/** Whether `date` is `yyyy/MM/dd` and names a day that exists (2024/02/29 yes, 2023/02/29 no; year 0000 no). */
export function isDocumentDate(date: string): boolean {
  const m = DATE.exec(date);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (y < 1 || mo < 1 || mo > 12 || d < 1) return false;
  return d <= daysInMonth(y, mo);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** The parts, or a sentence saying what is wrong. */
function splitDocumentId(s: string): DocumentIdParts | string {
  const comma = s.indexOf(',');
  if (comma === -1) return 'it has no comma after the OrganId';
  const organId = s.slice(0, comma);
  const date = s.slice(comma + 1, comma + 11);
  if (s.charAt(comma + 11) !== ',') return 'the OrganId is not followed by a yyyy/MM/dd date and a comma';
  const rest = s.slice(comma + 12);
  const slash = rest.indexOf('/');
  if (slash === -1) return 'the part after the date has no "/" between number and notation';
  const parts = { organId, date, number: rest.slice(0, slash), notation: rest.slice(slash + 1) };
  return partsProblem(parts) ?? parts;
}

function partsProblem(p: DocumentIdParts): string | undefined {
  if (!isAcceptableOrganId(p.organId) || p.organId.includes(',')) {
    return `the OrganId ${JSON.stringify(p.organId)} is empty, too long, or holds spaces, commas or control characters`;
  }
  if (!isDocumentDate(p.date)) return `the date ${JSON.stringify(p.date)} is not a real yyyy/MM/dd date`;
  if (!isText(p.number) || p.number.includes('/')) return `the number ${JSON.stringify(p.number)} is empty, holds "/" or control characters, or starts or ends with a space`;
  if (!isText(p.notation)) return `the notation ${JSON.stringify(p.notation)} is empty, holds control characters, or starts or ends with a space`;
  return undefined;
}

function isText(s: string): boolean {
  return s.length > 0 && !CONTROL.test(s) && !EDGE_SPACE.test(s);
}

function invalid(s: string, problem: string, path: string | undefined): EdxmlError {
  return new EdxmlError(
    'VDXP_E_DOCUMENT_ID_INVALID',
    `DocumentId ${JSON.stringify(s)} is not of the form OrganId,yyyy/MM/dd,Number/Notation: ${problem}`,
    { path },
  );
}
