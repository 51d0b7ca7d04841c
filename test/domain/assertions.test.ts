import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAssertions, violatedAssertions, type Assertion, type RunMetrics } from '../../src/domain/assertions.js';
import { assertInvalid } from '../helpers/assert-invalid.js';

describe('parseAssertions accepts', () => {
  const rows: Array<[text: string, metric: Assertion['metric'], op: Assertion['op'], value: number]> = [
    ['metric.duration < 5 min', 'duration', '<', 300],
    ['metric.duration<30s', 'duration', '<', 30],
    ['metric.duration >= 2 minutes', 'duration', '>=', 120],
    ['metric.duration <= 1.5 h', 'duration', '<=', 5400],
    ['metric.duration < 15min', 'duration', '<', 900],
    ['metric.duration > 1h30m', 'duration', '>', 5400],
    ['metric.duration > 90', 'duration', '>', 90],
    ['metric.duration < 1.5s', 'duration', '<', 2],
    ['METRIC.Duration < 5m', 'duration', '<', 300],
    ['metric.count > 10', 'count', '>', 10],
    ['metric.count = 0', 'count', '=', 0],
    ['metric.count\t>=\t7', 'count', '>=', 7],
    ['metric.error_count != 3', 'error_count', '!=', 3],
    ['metric.error_count<=2', 'error_count', '<=', 2],
    ['metric.error_rate < 0.05', 'error_rate', '<', 0.05],
    ['metric.error_rate <= 5%', 'error_rate', '<=', 0.05],
    ['metric.error_rate < 12.5 %', 'error_rate', '<', 0.125],
    ['metric.error_rate > .5', 'error_rate', '>', 0.5],
    ['metric.error_rate = 1', 'error_rate', '=', 1],
    ['metric.error_rate = 100%', 'error_rate', '=', 1],
    ['metric.error_rate != 0', 'error_rate', '!=', 0],
  ];
  for (const [text, metric, op, value] of rows) {
    it(`${JSON.stringify(text)} → ${metric} ${op} ${value}`, () => {
      assert.deepEqual(parseAssertions([text]), [{ text, metric, op, value }]);
    });
  }

  it('every operator for every metric', () => {
    for (const metric of ['duration', 'count', 'error_count', 'error_rate'] as const) {
      for (const op of ['<', '<=', '=', '!=', '>=', '>'] as const) {
        assert.deepEqual(parseAssertions([`metric.${metric} ${op} 1`]), [{ text: `metric.${metric} ${op} 1`, metric, op, value: 1 }]);
      }
    }
  });

  it('keeps the text trimmed but otherwise as written', () => {
    assert.equal(parseAssertions(['   metric.count   >   10  '])[0]?.text, 'metric.count   >   10');
  });

  it('null and undefined as no assertions', () => {
    assert.deepEqual(parseAssertions(null), []);
    assert.deepEqual(parseAssertions(undefined), []);
    assert.deepEqual(parseAssertions([]), []);
  });

  it('up to 20 assertions of up to 200 characters', () => {
    assert.equal(parseAssertions(Array.from({ length: 20 }, () => 'metric.count > 1')).length, 20);
    const long = `metric.count > ${'0'.repeat(200 - 'metric.count > '.length - 1)}1`;
    assert.equal(long.length, 200);
    assert.equal(parseAssertions([long])[0]?.value, 1);
  });
});

describe('parseAssertions rejects', () => {
  const rows: Array<[input: unknown, field: string, message: RegExp]> = [
    ['metric.count > 1', 'assertions', /must be an array of strings/],
    [{ 0: 'metric.count > 1' }, 'assertions', /must be an array/],
    [Array.from({ length: 21 }, () => 'metric.count > 1'), 'assertions', /at most 20 assertions.*got 21/],
    [[5], 'assertions[0]', /must be a string/],
    [[null], 'assertions[0]', /must be a string/],
    [['  '], 'assertions[0]', /is empty/],
    [[`metric.count > ${'1'.repeat(190)}`], 'assertions[0]', /at most 200 characters, got 205/],
    [['metric.count > 1', 'metric.cpu < 5'], 'assertions[1]', /unknown assertion "metric.cpu"; use metric.duration, metric.count, metric.error_count, metric.error_rate/],
    [['duration < 5 min'], 'assertions[0]', /unknown assertion "duration"/],
    [['metric.durations < 5 min'], 'assertions[0]', /unknown assertion "metric.durations"/],
    [['< 5'], 'assertions[0]', /cannot read "< 5"/],
    [['response.code = 200'], 'assertions[0]', /"response.code" applies to check monitors, which are not supported here/],
    [['response.json new_user.count > 10'], 'assertions[0]', /"response.json" applies to check monitors/],
    [['resource.item_count > 3'], 'assertions[0]', /check monitors/],
    [['ssl_certificate.expires_in = 30 days'], 'assertions[0]', /check monitors/],
    [['metric.count == 5'], 'assertions[0]', /unknown operator "==".*use one of <, <=, =, !=, >=, >/],
    [['metric.count => 5'], 'assertions[0]', /unknown operator "=>"/],
    [['metric.count contains 5'], 'assertions[0]', /unknown operator "contains"/],
    [['metric.count 5'], 'assertions[0]', /unknown operator "5"/],
    [['metric.count'], 'assertions[0]', /has no operator and value after metric.count/],
    [['metric.count <'], 'assertions[0]', /has no value after "<"/],
    [['metric.count <   '], 'assertions[0]', /has no value/],
    [['metric.count < -1'], 'assertions[0]', /metric.count must not be negative/],
    [['metric.error_count >-1'], 'assertions[0]', /metric.error_count must not be negative/],
    [['metric.count < 1.5'], 'assertions[0]', /metric.count must be a whole number, got "1.5"/],
    [['metric.error_count > many'], 'assertions[0]', /metric.error_count must be a whole number such as 0 or 10/],
    [['metric.count < 99999999999999999999'], 'assertions[0]', /whole number/],
    [['metric.count < 5 rows'], 'assertions[0]', /whole number/],
    [['metric.duration < 5 parsecs'], 'assertions[0]', /unknown unit "parsecs"/],
    [['metric.duration < -5s'], 'assertions[0]', /must not be negative/],
    [['metric.duration < soon'], 'assertions[0]', /cannot read "soon" as a duration/],
    [['metric.error_rate < 5'], 'assertions[0]', /must be at most 1 \(100%\), got "5"; for 5% write 0.05 or 5%/],
    [['metric.error_rate < 150%'], 'assertions[0]', /must be at most 1 \(100%\), got "150%"$/],
    [['metric.error_rate < -0.1'], 'assertions[0]', /must not be negative/],
    [['metric.error_rate < -5%'], 'assertions[0]', /must not be negative/],
    [['metric.error_rate < lots'], 'assertions[0]', /fraction from 0 to 1 such as 0.05, or a percentage such as 5%/],
    [['metric.error_rate < %'], 'assertions[0]', /fraction/],
  ];
  for (const [input, field, message] of rows) {
    it(`${JSON.stringify(input).slice(0, 80)} naming ${field}`, () => {
      assertInvalid(() => parseAssertions(input), field, message);
    });
  }

  it('naming the caller-given field', () => {
    assertInvalid(() => parseAssertions(['x < 1'], 'monitors[2].assertions'), 'monitors[2].assertions[0]', /unknown assertion "x"/);
  });
});

describe('violatedAssertions', () => {
  const rows: Array<[text: string, metrics: RunMetrics, violated: boolean]> = [
    ['metric.duration < 5 min', { duration: 299.9 }, false],
    ['metric.duration < 5 min', { duration: 300 }, true],
    ['metric.duration <= 5 min', { duration: 300 }, false],
    ['metric.duration <= 5 min', { duration: 300.001 }, true],
    ['metric.duration = 5 min', { duration: 300 }, false],
    ['metric.duration = 5 min', { duration: 300.5 }, true],
    ['metric.duration != 5 min', { duration: 300 }, true],
    ['metric.duration > 10s', { duration: 10 }, true],
    ['metric.duration >= 10s', { duration: 10 }, false],
    ['metric.count > 0', { count: 0 }, true],
    ['metric.count > 0', { count: 1 }, false],
    ['metric.error_count <= 2', { error_count: 2 }, false],
    ['metric.error_count <= 2', { error_count: 3 }, true],
    ['metric.error_count = 0', { error_count: 0 }, false],
    ['metric.error_count != 0', { error_count: 0 }, true],
    ['metric.error_rate < 0.05', { count: 20, error_count: 1 }, true],
    ['metric.error_rate <= 5%', { count: 20, error_count: 1 }, false],
    ['metric.error_rate < 10%', { count: 100, error_count: 9 }, false],
    ['metric.error_rate = 0', { count: 10, error_count: 0 }, false],
    // Unreported metrics violate nothing.
    ['metric.count > 0', {}, false],
    ['metric.count > 0', { count: null }, false],
    ['metric.count > 0', { count: Number.NaN }, false],
    ['metric.duration < 1s', { duration: Number.POSITIVE_INFINITY }, false],
    ['metric.duration < 1s', { count: 5 }, false],
    ['metric.error_rate = 0', { count: 10 }, false],
    ['metric.error_rate = 0', { error_count: 3 }, false],
    ['metric.error_rate = 0', { count: 10, error_count: null }, false],
    // count 0 leaves the rate unknown rather than 0/0.
    ['metric.error_rate < 0.5', { count: 0, error_count: 0 }, false],
    ['metric.error_rate < 0.5', { count: 0, error_count: 4 }, false],
  ];
  for (const [text, metrics, violated] of rows) {
    it(`${violated ? 'flags' : 'passes'} ${JSON.stringify(text)} for ${JSON.stringify(metrics)}`, () => {
      const assertions = parseAssertions([text]);
      assert.deepEqual(violatedAssertions(assertions, metrics), violated ? assertions : []);
    });
  }

  it('returns the violated assertions in the order given', () => {
    const assertions = parseAssertions([
      'metric.count > 100', 'metric.duration < 1 min', 'metric.error_count = 0', 'metric.error_rate <= 1%', 'metric.count > 0',
    ]);
    const violated = violatedAssertions(assertions, { duration: 75, count: 50, error_count: 1 });
    assert.deepEqual(violated.map((a) => a.text), ['metric.count > 100', 'metric.duration < 1 min', 'metric.error_count = 0', 'metric.error_rate <= 1%']);
  });

  it('finds nothing to violate without assertions', () => {
    assert.deepEqual(violatedAssertions([], { duration: 1, count: 1, error_count: 1 }), []);
  });
});
