import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePingParams, type PingParams, type PingQuery } from '../../src/domain/ping-params.js';
import { assertInvalid } from '../helpers/assert-invalid.js';

const NONE: PingParams = { msg: null, host: null, series: null, statusCode: null, duration: null, env: null, release: null, metrics: [] };

describe('parsePingParams reads', () => {
  const rows: Array<[name: string, query: PingQuery, expected: Partial<PingParams>]> = [
    ['nothing from an empty query', {}, {}],
    ['nothing from empty values', { msg: '', host: '  ', series: '', status_code: '', duration: '', env: '', release: '', metric: ['', ' '] }, {}],
    ['nothing from unknown parameters', { state: 'complete', stamp: '1795343343.163', auth_key: 'k' }, {}],
    ['every parameter', { msg: 'done', host: 'web-1', series: 'abc123', status_code: '0', duration: '12.345', env: 'production', release: 'v1.2.3' },
      { msg: 'done', host: 'web-1', series: 'abc123', statusCode: 0, duration: 12.345, env: 'production', release: 'v1.2.3' }],
    ['msg from message', { message: 'done: 5 rows & more' }, { msg: 'done: 5 rows & more' }],
    ['msg over message', { msg: 'from msg', message: 'from message' }, { msg: 'from msg' }],
    ['message when msg is empty', { msg: '', message: 'from message' }, { msg: 'from message' }],
    ['"+" and "%20" literally (already decoded once)', { msg: 'a+b %20 c%2B' }, { msg: 'a+b %20 c%2B' }],
    ['trimmed values', { msg: '  output tail\n', host: ' web-1 ' }, { msg: 'output tail', host: 'web-1' }],
    ['the first of a repeated parameter', { host: ['a', 'b'], msg: ['one', 'two'] }, { host: 'a', msg: 'one' }],
    ['series from rid', { rid: '9b2e6c1e-3f6c-4c8e-9a39-0c1f1c7e0a11' }, { series: '9b2e6c1e-3f6c-4c8e-9a39-0c1f1c7e0a11' }],
    ['series from check_in_id', { check_in_id: 'cfcc031e5b23474789c4d044696c6425' }, { series: 'cfcc031e5b23474789c4d044696c6425' }],
    ['series over rid over check_in_id', { series: 's', rid: 'r', check_in_id: 'c' }, { series: 's' }],
    ['rid over check_in_id', { rid: 'r', check_in_id: 'c' }, { series: 'r' }],
    ['a 64-character series', { series: 'x'.repeat(64) }, { series: 'x'.repeat(64) }],
    ['255-character labels', { host: 'h'.repeat(255), env: 'e'.repeat(255), release: 'r'.repeat(255) },
      { host: 'h'.repeat(255), env: 'e'.repeat(255), release: 'r'.repeat(255) }],
    ['a failing exit code', { status_code: '1' }, { statusCode: 1 }],
    ['a negative Windows exit code', { status_code: '-1073741819' }, { statusCode: -1073741819 }],
    ['an unsigned Windows exit code', { status_code: '3221225477' }, { statusCode: 3221225477 }],
    ['"-0" as exit code 0', { status_code: '-0' }, { statusCode: 0 }],
    ['a whole duration', { duration: '60' }, { duration: 60 }],
    ['a duration of zero', { duration: '0' }, { duration: 0 }],
    ['a duration with a leading dot', { duration: '.5' }, { duration: 0.5 }],
    ['a duration with a trailing dot', { duration: '3.' }, { duration: 3 }],
  ];
  for (const [name, query, expected] of rows) {
    it(name, () => {
      assert.deepEqual(parsePingParams(query), { ...NONE, ...expected });
    });
  }

  it('msg truncated to 1000 characters', () => {
    assert.equal(parsePingParams({ msg: 'a'.repeat(1000) }).msg, 'a'.repeat(1000));
    assert.equal(parsePingParams({ msg: `${'a'.repeat(1000)}tail` }).msg, 'a'.repeat(1000));
    assert.equal(parsePingParams({ message: 'b'.repeat(100_000) }).msg?.length, 1000);
  });

  it('msg truncated without splitting a character made of two UTF-16 units', () => {
    const msg = parsePingParams({ msg: `${'a'.repeat(999)}😀😀` }).msg;
    assert.equal(msg, 'a'.repeat(999));
    assert.equal(parsePingParams({ msg: `${'a'.repeat(998)}😀😀` }).msg, `${'a'.repeat(998)}😀`);
  });

  it('only own properties of the query', () => {
    const query = Object.create({ msg: 'inherited', metric: 'count:1' }) as PingQuery;
    assert.deepEqual(parsePingParams(query), NONE);
    const bare = Object.assign(Object.create(null) as PingQuery, { msg: 'hi' });
    assert.deepEqual(parsePingParams(bare), { ...NONE, msg: 'hi' });
  });
});

describe('parsePingParams reads metrics', () => {
  const rows: Array<[metric: string | string[], expected: PingParams['metrics']]> = [
    ['count:12', [{ name: 'count', value: 12 }]],
    ['error_count:3', [{ name: 'error_count', value: 3 }]],
    ['duration:1.5', [{ name: 'duration', value: 1.5 }]],
    ['length:1234', [{ name: 'length', value: 1234 }]],
    ['temperature:-3.5', [{ name: 'temperature', value: -3.5 }]],
    ['count:processed:100', [{ name: 'count:processed', value: 100 }]],
    ['gauge:db.rows-inserted:7.25', [{ name: 'gauge:db.rows-inserted', value: 7.25 }]],
    [' count : 4 ', [{ name: 'count', value: 4 }]],
    ['count:0', [{ name: 'count', value: 0 }]],
    ['count:-0', [{ name: 'count', value: 0 }]],
    [['duration:12.3', 'count:5', 'error_count:0'], [{ name: 'duration', value: 12.3 }, { name: 'count', value: 5 }, { name: 'error_count', value: 0 }]],
    [['count:1', 'count:2'], [{ name: 'count', value: 1 }, { name: 'count', value: 2 }]],
    [['count:1', '', 'error_count:2'], [{ name: 'count', value: 1 }, { name: 'error_count', value: 2 }]],
    [Array.from({ length: 20 }, (_, i) => `m${i}:${i}`), Array.from({ length: 20 }, (_, i) => ({ name: `m${i}`, value: i }))],
  ];
  for (const [metric, expected] of rows) {
    it(JSON.stringify(metric).slice(0, 80), () => {
      assert.deepEqual(parsePingParams({ metric }).metrics, expected);
    });
  }
});

describe('parsePingParams rejects', () => {
  const rows: Array<[query: PingQuery, field: string, message: RegExp]> = [
    [{ series: 'x'.repeat(65) }, 'series', /at most 64 characters, got 65/],
    [{ rid: 'x'.repeat(65) }, 'rid', /at most 64 characters/],
    [{ check_in_id: 'x'.repeat(65) }, 'check_in_id', /at most 64 characters/],
    [{ series: 'x'.repeat(65), rid: 'ok' }, 'series', /at most 64/],
    [{ host: 'h'.repeat(256) }, 'host', /at most 255 characters, got 256/],
    [{ env: 'e'.repeat(256) }, 'env', /at most 255 characters/],
    [{ release: 'r'.repeat(300) }, 'release', /at most 255 characters, got 300/],
    [{ status_code: 'abc' }, 'status_code', /must be an integer exit code such as 0 or 1, got "abc"/],
    [{ status_code: '1.5' }, 'status_code', /integer/],
    [{ status_code: '0x1' }, 'status_code', /integer/],
    [{ status_code: '1e3' }, 'status_code', /integer/],
    [{ status_code: '4294967296' }, 'status_code', /must be from -2147483648 to 4294967295, got 4294967296/],
    [{ status_code: '-2147483649' }, 'status_code', /must be from/],
    [{ status_code: '9'.repeat(400) }, 'status_code', /must be from.*…$/],
    [{ duration: '-1' }, 'duration', /must not be negative, got -1/],
    [{ duration: '-0.5' }, 'duration', /must not be negative/],
    [{ duration: 'abc' }, 'duration', /must be a number of seconds such as 12 or 12.345, got "abc"/],
    [{ duration: '1e3' }, 'duration', /number of seconds/],
    [{ duration: '+5' }, 'duration', /number of seconds/],
    [{ duration: 'NaN' }, 'duration', /number of seconds/],
    [{ duration: 'Infinity' }, 'duration', /number of seconds/],
    [{ duration: '12s' }, 'duration', /number of seconds/],
    [{ duration: '9'.repeat(400) }, 'duration', /number of seconds/],
    [{ metric: 'count' }, 'metric', /expected "name:value" or "type:name:value" such as "count:12" or "count:processed:100", got "count"/],
    [{ metric: 'a:b:c:1' }, 'metric', /expected "name:value"/],
    [{ metric: 'count=5' }, 'metric', /expected "name:value"/],
    [{ metric: 'count:' }, 'metric', /value of "count" must be a number, got ""/],
    [{ metric: 'count:abc' }, 'metric', /value of "count" must be a number, got "abc"/],
    [{ metric: 'rows:1e3' }, 'metric', /must be a number/],
    [{ metric: ':5' }, 'metric', /bad name "" in ":5"/],
    [{ metric: '1bad:5' }, 'metric', /bad name "1bad"/],
    [{ metric: 'count:bad name:5' }, 'metric', /bad name "bad name"/],
    [{ metric: 'count:1.5' }, 'metric', /count must be a non-negative integer, got "1.5"/],
    [{ metric: ['count:1', 'error_count:-1'] }, 'metric', /error_count must be a non-negative integer, got "-1"/],
    [{ metric: 'duration:-2' }, 'metric', /duration must not be negative/],
    [{ metric: Array.from({ length: 21 }, (_, i) => `m${i}:1`) }, 'metric', /at most 20 metric parameters.*got 21/],
  ];
  for (const [query, field, message] of rows) {
    it(`${JSON.stringify(query).slice(0, 80)} naming ${field}`, () => {
      assertInvalid(() => parsePingParams(query), field, message);
    });
  }
});
