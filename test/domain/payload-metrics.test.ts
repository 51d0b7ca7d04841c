import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { extractPayloadMetrics, parsePayloadMetrics, type PayloadMetricRule } from '../../src/domain/payload-metrics.js';
import { assertInvalid } from '../helpers/assert-invalid.js';

describe('parsePayloadMetrics accepts', () => {
  it('null and undefined as no rules', () => {
    assert.deepEqual(parsePayloadMetrics(null), []);
    assert.deepEqual(parsePayloadMetrics(undefined), []);
    assert.deepEqual(parsePayloadMetrics([]), []);
  });

  const paths = [
    '$', '$.stats.rows', "$['stats']['rows']", '$.jobs[0].count', '$.jobs[-1].count', '$.jobs[*].rows', '$.jobs[0:2].rows',
    '$..rows', "$.items[?@.kind == 'rows'].n", '$.items[?@.n > 1 && @.n < 5].n', '$.items[?(@.n >= 0)].n',
    '$.items[?length(@.tags) > 1].n', '$.items[?count(@.*) == 2].n', '$.items[?value(@.n) == 3].n',
  ];
  for (const path of paths) {
    it(`the JSONPath ${path}`, () => {
      assert.deepEqual(parsePayloadMetrics([{ name: 'm', path }]), [{ name: 'm', path }]);
    });
  }

  it('names of letters, digits, "_", "." and "-" up to 64 characters, and 20 rules', () => {
    const names = ['rows', '_x', 'db.rows-inserted_2', `a${'b'.repeat(63)}`];
    assert.deepEqual(parsePayloadMetrics(names.map((name) => ({ name, path: '$.a' }))).map((r) => r.name), names);
    assert.equal(parsePayloadMetrics(Array.from({ length: 20 }, (_, i) => ({ name: `m${i}`, path: '$.a' }))).length, 20);
  });
});

describe('parsePayloadMetrics rejects', () => {
  const rule = (name: unknown, path: unknown): unknown[] => [{ name: 'ok', path: '$.ok' }, { name, path }];
  const rows: Array<[input: unknown, field: string, message: RegExp]> = [
    [{ name: 'rows', path: '$.rows' }, 'payload_metrics', /must be an array/],
    [Array.from({ length: 21 }, (_, i) => ({ name: `m${i}`, path: '$.a' })), 'payload_metrics', /at most 20 rules.*got 21/],
    [['$.rows'], 'payload_metrics[0]', /must be an object like/],
    [[null], 'payload_metrics[0]', /must be an object/],
    [[{ name: 'rows', path: '$.rows', unit: 'rows' }], 'payload_metrics[0]', /unknown key "unit"/],
    [rule(undefined, '$.a'), 'payload_metrics[1].name', /must be 1-64 characters.*got nothing/],
    [rule('', '$.a'), 'payload_metrics[1].name', /got ""/],
    [rule('2rows', '$.a'), 'payload_metrics[1].name', /starting with a letter or "_"/],
    [rule('row count', '$.a'), 'payload_metrics[1].name', /must be 1-64 characters/],
    [rule(`a${'b'.repeat(64)}`, '$.a'), 'payload_metrics[1].name', /must be 1-64 characters/],
    [rule(7, '$.a'), 'payload_metrics[1].name', /got a number/],
    [rule('ok', '$.b'), 'payload_metrics[1].name', /"ok" is used by an earlier rule/],
    [rule('m', undefined), 'payload_metrics[1].path', /must be a JSONPath string.*got nothing/],
    [rule('m', ['$.a']), 'payload_metrics[1].path', /got an array/],
    [rule('m', ''), 'payload_metrics[1].path', /must start with "\$"/],
    [rule('m', 'stats.rows'), 'payload_metrics[1].path', /"stats.rows" must start with "\$", e.g. "\$.stats.rows"/],
    [rule('m', '$.stats.'), 'payload_metrics[1].path', /"\$.stats." is not a valid JSONPath \(RFC 9535\) at character 9/],
    [rule('m', '$['), 'payload_metrics[1].path', /not a valid JSONPath/],
    [rule('m', '$.a[?@.x = 1]'), 'payload_metrics[1].path', /not a valid JSONPath/],
    [rule('m', '$x'), 'payload_metrics[1].path', /not a valid JSONPath/],
    [rule('m', `$${'.a'.repeat(250)}`), 'payload_metrics[1].path', /at most 500 characters, got 501/],
    // JavaScript filter expressions (as older libraries eval them) are not JSONPath at all.
    [rule('m', "$[?(@.constructor.constructor('return process')())]"), 'payload_metrics[1].path', /not a valid JSONPath/],
    [rule('m', '$..[?(@.x && (globalThis.pwned = 1))]'), 'payload_metrics[1].path', /not a valid JSONPath/],
    [rule('m', "$.items[?match(@.name, '(a+)+$')].n"), 'payload_metrics[1].path', /calls match\(\), which is not allowed; use length\(\), count\(\) or value\(\)/],
    [rule('m', "$.items[?search(@.name, @.pattern)].n"), 'payload_metrics[1].path', /calls search\(\)/],
    [rule('m', '$.items[?!(length(@.a) > 1 || foo(@.b))].n'), 'payload_metrics[1].path', /calls foo\(\)/],
  ];
  for (const [input, field, message] of rows) {
    it(`${JSON.stringify(input).slice(0, 90)} naming ${field}`, () => {
      assertInvalid(() => parsePayloadMetrics(input), field, message);
    });
  }

  it('naming the caller-given field', () => {
    assertInvalid(() => parsePayloadMetrics([{ name: 'm', path: 'x' }], 'monitors[1].payload_metrics'), 'monitors[1].payload_metrics[0].path', /must start with/);
  });
});

describe('extractPayloadMetrics', () => {
  const body = JSON.stringify({
    stats: { rows: 1200, seconds: 12.5, label: 'nightly', ok: true, none: null, nested: { deep: { value: -3 } } },
    jobs: [{ name: 'a', rows: '42' }, { name: 'b', rows: 7 }, { name: 'c', rows: 9 }],
    mixed: ['n/a', 5],
    strings: { padded: ' 17 ', exp: '1e3', signed: '-1.5', hex: '0x10', inf: 'Infinity', empty: '', words: '12 rows', nan: 'NaN' },
    huge: 1e308,
    empty: [],
  });
  const rows: Array<[path: string, value: number | null]> = [
    ['$.stats.rows', 1200],
    ['$.stats.seconds', 12.5],
    ['$.stats.nested.deep.value', -3],
    ["$['stats']['rows']", 1200],
    ['$.jobs[1].rows', 7],
    ['$.jobs[-1].rows', 9],
    ['$.jobs[*].rows', 42],
    ['$..rows', 1200],
    ["$.jobs[?@.name == 'c'].rows", 9],
    ['$.jobs[?@.rows > 8].rows', 9],
    ['$.mixed[*]', null],
    ['$.mixed[1]', 5],
    ['$.jobs.length', null],
    ['$.huge', 1e308],
    // Missing paths.
    ['$.stats.missing', null],
    ['$.jobs[10].rows', null],
    ['$.empty[0]', null],
    ['$.stats.rows.deeper', null],
    ['$.constructor', null],
    ['$.stats.toString', null],
    // Values that are not numbers.
    ['$.stats.label', null],
    ['$.stats.ok', null],
    ['$.stats.none', null],
    ['$.stats', null],
    ['$.jobs', null],
    // Strings holding a plain decimal number count; other strings do not.
    ['$.jobs[0].rows', 42],
    ['$.strings.padded', 17],
    ['$.strings.exp', 1000],
    ['$.strings.signed', -1.5],
    ['$.strings.hex', null],
    ['$.strings.inf', null],
    ['$.strings.empty', null],
    ['$.strings.words', null],
    ['$.strings.nan', null],
  ];
  for (const [path, value] of rows) {
    it(`reads ${path} as ${value}`, () => {
      assert.deepEqual(extractPayloadMetrics([{ name: 'm', path }], body), [{ name: 'm', value }]);
    });
  }

  it('gives one result per rule, in rule order', () => {
    const rules: PayloadMetricRule[] = [{ name: 'b', path: '$.jobs[1].rows' }, { name: 'a', path: '$.missing' }, { name: 'c', path: '$.stats.rows' }];
    assert.deepEqual(extractPayloadMetrics(rules, body), [{ name: 'b', value: 7 }, { name: 'a', value: null }, { name: 'c', value: 1200 }]);
    assert.deepEqual(extractPayloadMetrics([], body), []);
  });

  const bodies: Array<[name: string, body: string | null]> = [
    ['a null body', null],
    ['an empty body', ''],
    ['plain text', 'Backup complete: 1200 rows'],
    ['truncated JSON', '{"stats": {"rows": 12'],
    ['NDJSON', '{"rows": 1}\n{"rows": 2}'],
  ];
  for (const [name, text] of bodies) {
    it(`gives null for every rule on ${name}`, () => {
      assert.deepEqual(extractPayloadMetrics([{ name: 'm', path: '$.rows' }, { name: 'n', path: '$' }], text), [{ name: 'm', value: null }, { name: 'n', value: null }]);
    });
  }

  it('reads a bare JSON number at the root, and ignores a byte-order mark', () => {
    assert.deepEqual(extractPayloadMetrics([{ name: 'm', path: '$' }], ' 42 '), [{ name: 'm', value: 42 }]);
    assert.deepEqual(extractPayloadMetrics([{ name: 'm', path: '$.rows' }], '\uFEFF{"rows": 3}'), [{ name: 'm', value: 3 }]);
  });

  it('gives null for a number too large for a double', () => {
    assert.deepEqual(extractPayloadMetrics([{ name: 'm', path: '$.n' }], '{"n": 1e999}'), [{ name: 'm', value: null }]);
  });

  it('never executes code from a path, even one that skipped validation', () => {
    const g = globalThis as { pwned?: unknown };
    const paths = [
      "$[?(@.constructor.constructor('globalThis.pwned = 1')())]",
      '$..[?(@.x && (globalThis.pwned = 1))]',
      '$[?(this.constructor.constructor("globalThis.pwned = 1")())]',
      '$.a[(globalThis.pwned = 1)]',
    ];
    const results = extractPayloadMetrics(paths.map((path, i) => ({ name: `m${i}`, path })), '{"a": [{"x": 1}], "x": 1}');
    assert.deepEqual(results.map((r) => r.value), [null, null, null, null]);
    assert.equal(g.pwned, undefined);
  });

  it('never throws on a pathologically deep document', () => {
    const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
    assert.deepEqual(extractPayloadMetrics([{ name: 'm', path: '$..x' }], deep), [{ name: 'm', value: null }]);
    const deepObject = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    assert.deepEqual(extractPayloadMetrics([{ name: 'm', path: '$..b' }, { name: 'n', path: '$.a.a.a' }], deepObject).map((r) => r.name), ['m', 'n']);
  });

  it('handles a 100 KB JSON body', () => {
    const items = Array.from({ length: 2500 }, (_, i) => ({ id: i, rows: i * 2, label: `item-${i}` }));
    const big = JSON.stringify({ items, total: 2500 });
    assert.ok(big.length > 90_000);
    const started = performance.now();
    const rules: PayloadMetricRule[] = [
      { name: 'total', path: '$.total' }, { name: 'last', path: '$.items[-1].rows' },
      { name: 'any', path: '$..rows' }, { name: 'found', path: '$.items[?@.id == 2000].rows' },
    ];
    assert.deepEqual(extractPayloadMetrics(rules, big).map((r) => r.value), [2500, 4998, 0, 4000]);
    assert.ok(performance.now() - started < 2000, `took ${performance.now() - started} ms`);
  });
});
