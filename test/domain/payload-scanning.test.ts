import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePayloadScanning, scanPayload, type PayloadScanning, type ScanVerdict } from '../../src/domain/payload-scanning.js';
import { assertInvalid } from '../helpers/assert-invalid.js';

describe('parsePayloadScanning accepts', () => {
  const rows: Array<[input: unknown, expected: PayloadScanning | null]> = [
    [null, null],
    [undefined, null],
    [{}, null],
    [{ success_keyword: [], failure_keyword: [] }, null],
    [{ success_keyword: null }, null],
    [{ success_keyword: 'OK' }, { successKeywords: ['OK'], failureKeywords: [] }],
    [{ failure_keyword: 'ERROR' }, { successKeywords: [], failureKeywords: ['ERROR'] }],
    [{ success_keyword: ['done', 'finished'], failure_keyword: ['error', 'Traceback'] },
      { successKeywords: ['done', 'finished'], failureKeywords: ['error', 'Traceback'] }],
    // Spaces are part of the keyword: " ok" is how one avoids matching "broken".
    [{ success_keyword: ' ok ' }, { successKeywords: [' ok '], failureKeywords: [] }],
    [{ failure_keyword: Array.from({ length: 20 }, (_, i) => `e${i}`) },
      { successKeywords: [], failureKeywords: Array.from({ length: 20 }, (_, i) => `e${i}`) }],
    [{ failure_keyword: 'x'.repeat(200) }, { successKeywords: [], failureKeywords: ['x'.repeat(200)] }],
  ];
  for (const [input, expected] of rows) {
    it(`${JSON.stringify(input)?.slice(0, 80) ?? 'undefined'}`, () => {
      assert.deepEqual(parsePayloadScanning(input), expected);
    });
  }
});

describe('parsePayloadScanning rejects', () => {
  const rows: Array<[input: unknown, field: string, message: RegExp]> = [
    ['OK', 'payload_scanning', /must be an object/],
    [['OK'], 'payload_scanning', /must be an object/],
    [42, 'payload_scanning', /must be an object/],
    [{ success_keywords: 'OK' }, 'payload_scanning', /unknown key "success_keywords"; use success_keyword and\/or failure_keyword/],
    [{ success_keyword: 42 }, 'payload_scanning.success_keyword', /must be a string or an array of strings/],
    [{ failure_keyword: { a: 1 } }, 'payload_scanning.failure_keyword', /must be a string or an array/],
    [{ failure_keyword: ['ok', 7] }, 'payload_scanning.failure_keyword[1]', /must be a string/],
    [{ success_keyword: '' }, 'payload_scanning.success_keyword', /must not be empty/],
    [{ success_keyword: ['a', '   '] }, 'payload_scanning.success_keyword[1]', /must not be empty/],
    [{ failure_keyword: 'x'.repeat(201) }, 'payload_scanning.failure_keyword', /at most 200 characters, got 201/],
    [{ failure_keyword: Array.from({ length: 21 }, (_, i) => `e${i}`) }, 'payload_scanning.failure_keyword', /at most 20 keywords.*got 21/],
    [{ success_keyword: ['done', 'Error'], failure_keyword: ['fatal', 'ERROR'] }, 'payload_scanning.failure_keyword[1]', /"ERROR" is also a success keyword/],
  ];
  for (const [input, field, message] of rows) {
    it(`${JSON.stringify(input).slice(0, 80)} naming ${field}`, () => {
      assertInvalid(() => parsePayloadScanning(input), field, message);
    });
  }

  it('naming the caller-given field', () => {
    assertInvalid(() => parsePayloadScanning({ success_keyword: '' }, 'monitors[3].payload_scanning'), 'monitors[3].payload_scanning.success_keyword', /empty/);
  });
});

describe('scanPayload', () => {
  const rules: PayloadScanning = { successKeywords: ['Backup complete', 'OK'], failureKeywords: ['error', 'Traceback'] };
  const rows: Array<[name: string, texts: (string | null | undefined)[], verdict: ScanVerdict]> = [
    ['a success keyword', ['backup complete: 12 files'], { outcome: 'success', keyword: 'Backup complete' }],
    ['a failure keyword', ['disk error on /dev/sda'], { outcome: 'failure', keyword: 'error' }],
    ['failure over success in the same text', ['Backup complete with 1 error'], { outcome: 'failure', keyword: 'error' }],
    ['failure in msg over success in body', ['Backup complete', 'ERROR: retry later'], { outcome: 'failure', keyword: 'error' }],
    ['failure in body over success in msg', ['Traceback (most recent call last)', 'ok'], { outcome: 'failure', keyword: 'Traceback' }],
    ['upper case text for a lower case keyword', ['FATAL ERROR'], { outcome: 'failure', keyword: 'error' }],
    ['lower case text for a mixed case keyword', ['traceback:'], { outcome: 'failure', keyword: 'Traceback' }],
    ['a keyword inside a word (substring match)', ['errors: 0'], { outcome: 'failure', keyword: 'error' }],
    ['the first configured keyword when several match', ['traceback … error'], { outcome: 'failure', keyword: 'error' }],
    ['nothing that matches', ['all good'], { outcome: 'none' }],
    ['no texts', [], { outcome: 'none' }],
    ['only null, undefined and empty texts', [null, undefined, ''], { outcome: 'none' }],
    ['a keyword split across two texts', ['Backup com', 'plete'], { outcome: 'none' }],
  ];
  for (const [name, texts, verdict] of rows) {
    it(`finds ${name}`, () => {
      assert.deepEqual(scanPayload(rules, texts), verdict);
    });
  }

  it('matches non-ASCII keywords case-insensitively', () => {
    assert.deepEqual(scanPayload({ successKeywords: [], failureKeywords: ['échec'] }, ['ÉCHEC TOTAL']), { outcome: 'failure', keyword: 'échec' });
  });

  it('keeps spaces in keywords significant', () => {
    const spaced = { successKeywords: [' ok'], failureKeywords: [] };
    assert.deepEqual(scanPayload(spaced, ['broken']), { outcome: 'none' });
    assert.deepEqual(scanPayload(spaced, ['status ok']), { outcome: 'success', keyword: ' ok' });
  });

  it('finds nothing with no keywords', () => {
    assert.deepEqual(scanPayload({ successKeywords: [], failureKeywords: [] }, ['error']), { outcome: 'none' });
  });

  it('scans a 100 KB body with 40 keywords quickly, finding a keyword in its last bytes', () => {
    const many: PayloadScanning = {
      successKeywords: Array.from({ length: 20 }, (_, i) => `Success-${i}-marker`),
      failureKeywords: Array.from({ length: 20 }, (_, i) => `failure-${i}-marker`),
    };
    const filler = 'INFO processed row 12345 of 99999 without a problem\n'.repeat(2000).slice(0, 100_000 - 20);
    const body = `${filler}FAILURE-19-MARKER\n`;
    const started = performance.now();
    for (let i = 0; i < 10; i++) {
      assert.deepEqual(scanPayload(many, [body, 'msg']), { outcome: 'failure', keyword: 'failure-19-marker' });
    }
    assert.deepEqual(scanPayload(many, [filler]), { outcome: 'none' });
    // Generous bound: a linear scan takes a few ms per run; only quadratic behaviour would come near it.
    assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
  });

  it('scans a body of a few megabytes without failing', () => {
    const body = `${'x'.repeat(5_000_000)} Backup complete`;
    assert.deepEqual(scanPayload(rules, [body]), { outcome: 'success', keyword: 'Backup complete' });
  });
});
