// Agency import files: a JSON array of {code, name, parent?, level?, otherCodes?, email?, phone?}, or CSV with a
// header row of the same names (otherCodes separated by `;`). A malformed row refuses the whole file, naming
// the row (and for CSV the line), before anything is written.

import { AGENCY_LEVELS } from '@vdxp/edxml';
import { HubError, type AgencyDraft } from '@vdxp/hub';

export const AGENCY_FIELDS = ['code', 'name', 'parent', 'level', 'otherCodes', 'email', 'phone'] as const;
type AgencyField = (typeof AGENCY_FIELDS)[number];

/** Largest import file read: a national registry of 111,000 agencies is about 15 MB of CSV. */
export const IMPORT_FILE_BYTES_MAX = 256 * 1024 * 1024;

/** Where a row is: its number among the agencies (1 = the first), and for CSV the file line it starts on. */
interface RowAt { row: number; line?: number }

function refuse(at: RowAt, vi: string, en: string): HubError {
  const line = (word: string): string => (at.line === undefined ? '' : ` (${word} ${at.line})`);
  return new HubError('VDXP_E_IMPORT_INVALID', `hàng ${at.row}${line('dòng')}: ${vi} / row ${at.row}${line('line')}: ${en}`);
}

export function parseAgencyFile(text: string, format: 'json' | 'csv'): AgencyDraft[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // spreadsheet exports start with a BOM
  const drafts = format === 'json' ? fromJson(body) : fromCsv(body);
  const seen = new Map<string, number>();
  drafts.forEach((d, i) => {
    const first = seen.get(d.code);
    if (first !== undefined) throw refuse({ row: i + 1 }, `mã ${d.code} đã có ở hàng ${first}`, `code ${d.code} is already on row ${first}`);
    seen.set(d.code, i + 1);
  });
  if (drafts.length === 0) throw new HubError('VDXP_E_IMPORT_INVALID', 'Tệp không có cơ quan nào / The file holds no agency');
  return drafts;
}

/** `.json`/`.csv` by name; otherwise JSON when the text starts with `[`. */
export function agencyFileFormat(name: string, text: string): 'json' | 'csv' {
  const lower = name.toLowerCase();
  if (lower.endsWith('.json')) return 'json';
  if (lower.endsWith('.csv')) return 'csv';
  return text.trimStart().replace(/^\uFEFF/, '').startsWith('[') ? 'json' : 'csv';
}

function fromJson(text: string): AgencyDraft[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new HubError('VDXP_E_IMPORT_INVALID', `Tệp JSON hỏng / The JSON is malformed: ${(e as Error).message}`, { cause: e });
  }
  if (!Array.isArray(value)) throw new HubError('VDXP_E_IMPORT_INVALID', 'Tệp JSON phải là một mảng / The JSON must be an array of agencies');
  return value.map((item: unknown, i) => {
    const where: RowAt = { row: i + 1 };
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw refuse(where, 'không phải một đối tượng', 'is not an object');
    const o = item as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (!(AGENCY_FIELDS as readonly string[]).includes(k)) throw refuse(where, `trường lạ "${k}"`, `unknown field "${k}" (fields: ${AGENCY_FIELDS.join(', ')})`);
    }
    const str = (k: AgencyField, required: boolean): string | undefined => {
      const v = o[k];
      if (v === undefined || v === null || v === '') {
        if (required) throw refuse(where, `thiếu ${k}`, `${k} is missing`);
        return undefined;
      }
      if (typeof v !== 'string') throw refuse(where, `${k} phải là chuỗi`, `${k} must be a string`);
      return v;
    };
    let otherCodes: string[] | undefined;
    if (o['otherCodes'] !== undefined && o['otherCodes'] !== null) {
      if (!Array.isArray(o['otherCodes']) || !o['otherCodes'].every((c) => typeof c === 'string')) {
        throw refuse(where, 'otherCodes phải là mảng chuỗi', 'otherCodes must be an array of strings');
      }
      otherCodes = o['otherCodes'];
    }
    const level = o['level'] === undefined || o['level'] === null ? undefined : checkLevel(where, o['level']);
    return draft(str('code', true) ?? '', str('name', true) ?? '', str('parent', false), level, otherCodes, str('email', false), str('phone', false));
  });
}

function fromCsv(text: string): AgencyDraft[] {
  const records = csvRecords(text);
  const header = records.next();
  if (header.done) throw new HubError('VDXP_E_IMPORT_INVALID', 'Tệp CSV trống / The CSV is empty');
  const columns = header.value.fields.map((f, i) => {
    const name = AGENCY_FIELDS.find((k) => k.toLowerCase() === f.trim().toLowerCase());
    if (name === undefined) {
      throw new HubError('VDXP_E_IMPORT_INVALID', `dòng 1, cột ${i + 1}: cột lạ "${f}" / line 1, column ${i + 1}: unknown column "${f}" (columns: ${AGENCY_FIELDS.join(', ')})`);
    }
    return name;
  });
  for (const required of ['code', 'name'] as const) {
    if (!columns.includes(required)) throw new HubError('VDXP_E_IMPORT_INVALID', `Thiếu cột ${required} ở dòng đầu / The header row has no ${required} column`);
  }
  if (new Set(columns).size !== columns.length) throw new HubError('VDXP_E_IMPORT_INVALID', 'Dòng đầu có cột trùng / The header row repeats a column');
  const at = Object.fromEntries(columns.map((c, i) => [c, i])) as Partial<Record<AgencyField, number>>;
  const drafts: AgencyDraft[] = [];
  for (const { line, fields } of records) {
    const where: RowAt = { row: drafts.length + 1, line };
    if (fields.length !== columns.length) {
      throw refuse(where, `có ${fields.length} ô, dòng đầu có ${columns.length}`, `has ${fields.length} fields, the header has ${columns.length}`);
    }
    const cell = (k: AgencyField): string | undefined => {
      const i = at[k];
      const v = i === undefined ? undefined : fields[i]?.trim();
      return v === '' ? undefined : v;
    };
    const code = cell('code');
    const name = cell('name');
    if (code === undefined) throw refuse(where, 'thiếu mã (code)', 'code is missing');
    if (name === undefined) throw refuse(where, 'thiếu tên (name)', 'name is missing');
    const levelText = cell('level');
    const level = levelText === undefined ? undefined : checkLevel(where, /^\d+$/.test(levelText) ? Number(levelText) : levelText);
    const others = cell('otherCodes')?.split(';').map((s) => s.trim()).filter((s) => s !== '');
    drafts.push(draft(code, name, cell('parent'), level, others, cell('email'), cell('phone')));
  }
  return drafts;
}

function checkLevel(where: RowAt, v: unknown): number {
  if (typeof v !== 'number' || !(AGENCY_LEVELS as readonly number[]).includes(v)) {
    throw refuse(where, `cấp (level) phải là ${AGENCY_LEVELS.join(', ')}`, `level must be one of ${AGENCY_LEVELS.join(', ')}`);
  }
  return v;
}

function draft(code: string, name: string, parent?: string, level?: number, otherCodes?: string[], email?: string, phone?: string): AgencyDraft {
  return {
    code, name,
    ...(parent !== undefined ? { parent } : {}), ...(level !== undefined ? { level } : {}),
    ...(otherCodes !== undefined ? { otherCodes } : {}), ...(email !== undefined ? { email } : {}), ...(phone !== undefined ? { phone } : {}),
  };
}

/**
 * RFC 4180 records: fields split on commas, double-quoted fields may hold commas, quotes ("") and line
 * breaks; CRLF or LF; blank lines skipped. `line` is where the record starts, for messages.
 */
export function* csvRecords(text: string): Generator<{ line: number; fields: string[] }, void, undefined> {
  let line = 1;
  let pos = 0;
  const n = text.length;
  while (pos < n) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let atFieldStart = true;
    for (;;) {
      if (pos >= n) {
        if (quoted) {
          throw new HubError('VDXP_E_IMPORT_INVALID', `Dòng ${start}: dấu ngoặc kép không được đóng / line ${start}: a quoted field is never closed`);
        }
        fields.push(field);
        break;
      }
      const ch = text[pos] as string;
      if (quoted) {
        if (ch === '"') {
          if (text[pos + 1] === '"') { field += '"'; pos += 2; continue; }
          quoted = false;
          pos++;
          const next = text[pos];
          if (next !== undefined && next !== ',' && next !== '\n' && next !== '\r') {
            throw new HubError('VDXP_E_IMPORT_INVALID', `Dòng ${line}: ký tự sau dấu ngoặc kép đóng / line ${line}: text after a closing quote`);
          }
          continue;
        }
        if (ch === '\n') line++;
        field += ch;
        pos++;
        continue;
      }
      if (ch === ',') { fields.push(field); field = ''; atFieldStart = true; pos++; continue; }
      if (ch === '\r' || ch === '\n') {
        pos += ch === '\r' && text[pos + 1] === '\n' ? 2 : 1;
        line++;
        fields.push(field);
        break;
      }
      if (ch === '"') {
        if (!atFieldStart) throw new HubError('VDXP_E_IMPORT_INVALID', `Dòng ${line}: dấu ngoặc kép giữa ô / line ${line}: a quote inside an unquoted field`);
        quoted = true;
        atFieldStart = false;
        pos++;
        continue;
      }
      // Unquoted run: take up to the next delimiter in one slice (CSV of 111,000 rows is mostly this).
      let end = pos;
      while (end < n) {
        const c = text.charCodeAt(end);
        if (c === 44 || c === 10 || c === 13 || c === 34) break; // , \n \r "
        end++;
      }
      field += text.slice(pos, end);
      pos = end;
      atFieldStart = false;
    }
    if (fields.length === 1 && fields[0] === '') continue; // a blank line
    yield { line: start, fields };
  }
}
