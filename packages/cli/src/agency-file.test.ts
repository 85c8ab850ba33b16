// Agency import files: CSV records (quotes, line breaks, CRLF, BOM), JSON items, and refusals that name the row.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HubError } from '@vdxp/hub';
import { agencyFileFormat, csvRecords, parseAgencyFile } from './agency-file.ts';

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof HubError, String(e));
    assert.equal(e.code, 'VDXP_E_IMPORT_INVALID');
    return e.message;
  }
  assert.fail('expected a refusal');
}

describe('csvRecords', () => {
  it('reads quoted commas, doubled quotes and line breaks, CRLF, and skips blank lines', () => {
    const text = 'a,b,c\r\n"x, y","say ""hi""","two\nlines"\n\n1,,3\n';
    assert.deepEqual([...csvRecords(text)], [
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['x, y', 'say "hi"', 'two\nlines'] },
      { line: 5, fields: ['1', '', '3'] },
    ]);
  });

  it('refuses an unclosed quote and stray quotes, naming the line', () => {
    assert.match(refusal(() => [...csvRecords('a\n"open\n')]), /line 2: a quoted field is never closed/);
    assert.match(refusal(() => [...csvRecords('a\nab"c\n')]), /line 2: a quote inside an unquoted field/);
    assert.match(refusal(() => [...csvRecords('a\n"ab"c\n')]), /line 2: text after a closing quote/);
  });
});

describe('parseAgencyFile', () => {
  it('reads CSV with a BOM, any column order and case, otherCodes split on ";", empty cells absent', () => {
    const csv = '\uFEFFName,code,otherCodes,level,parent,email\n'
      + 'UBND tỉnh Nghệ An,000.00.00.H41,H41; 41 ,1,,vanthu@nghean.example\n'
      + '"Sở Nội vụ, Nghệ An",000.00.15.H41,,,000.00.00.H41,\n';
    assert.deepEqual(parseAgencyFile(csv, 'csv'), [
      { code: '000.00.00.H41', name: 'UBND tỉnh Nghệ An', level: 1, otherCodes: ['H41', '41'], email: 'vanthu@nghean.example' },
      { code: '000.00.15.H41', name: 'Sở Nội vụ, Nghệ An', parent: '000.00.00.H41' },
    ]);
  });

  it('refuses malformed CSV rows with their row and line number', () => {
    const head = 'code,name,level\n';
    assert.match(refusal(() => parseAgencyFile(`${head}A,a,\nB,,\n`, 'csv')), /row 2 \(line 3\): name is missing/);
    assert.match(refusal(() => parseAgencyFile(`${head}A,a,\n\nB,b\n`, 'csv')), /row 2 \(line 4\): has 2 fields, the header has 3/);
    assert.match(refusal(() => parseAgencyFile(`${head}A,a,5\n`, 'csv')), /row 1 \(line 2\): level must be one of 1, 2, 3, 4/);
    assert.match(refusal(() => parseAgencyFile(`${head}A,a,x\n`, 'csv')), /hàng 1 \(dòng 2\): cấp/);
    assert.match(refusal(() => parseAgencyFile(`${head}A,a,\nB,b,\nA,c,\n`, 'csv')), /row 3: code A is already on row 1/);
    assert.match(refusal(() => parseAgencyFile('code,name,parentCode\n', 'csv')), /line 1, column 3: unknown column "parentCode"/);
    assert.match(refusal(() => parseAgencyFile('code,level\nA,1\n', 'csv')), /no name column/);
    assert.match(refusal(() => parseAgencyFile(head, 'csv')), /holds no agency/);
  });

  it('reads JSON items and refuses malformed ones with their row number', () => {
    assert.deepEqual(parseAgencyFile('[{"code":"A","name":"a","parent":null,"level":2,"otherCodes":["a1"],"phone":"024"}]', 'json'),
      [{ code: 'A', name: 'a', level: 2, otherCodes: ['a1'], phone: '024' }]);
    assert.match(refusal(() => parseAgencyFile('{"code":"A"}', 'json')), /must be an array/);
    assert.match(refusal(() => parseAgencyFile('[{"code":"A","name":"a"},{"code":"B"}]', 'json')), /row 2: name is missing/);
    assert.match(refusal(() => parseAgencyFile('[{"code":"A","name":"a"},3]', 'json')), /row 2: is not an object/);
    assert.match(refusal(() => parseAgencyFile('[{"code":"A","name":"a","parentCode":"B"}]', 'json')), /row 1: unknown field "parentCode"/);
    assert.match(refusal(() => parseAgencyFile('[{"code":"A","name":"a","otherCodes":"a1"}]', 'json')), /row 1: otherCodes must be an array/);
    assert.match(refusal(() => parseAgencyFile('[{"code":"A","name":"a","level":"1"}]', 'json')), /row 1: level must be/);
    assert.match(refusal(() => parseAgencyFile('[{"code":1,"name":"a"}]', 'json')), /row 1: code must be a string/);
    assert.match(refusal(() => parseAgencyFile('[', 'json')), /The JSON is malformed/);
  });

  it('tells the format from the name, else from the first character', () => {
    assert.equal(agencyFileFormat('x.JSON', 'code,name'), 'json');
    assert.equal(agencyFileFormat('x.csv', '['), 'csv');
    assert.equal(agencyFileFormat('registry.txt', '\uFEFF  [ {} ]'), 'json');
    assert.equal(agencyFileFormat('registry.txt', 'code,name'), 'csv');
  });
});
