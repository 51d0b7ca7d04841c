import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, parseDuration, type DurationOptions } from '../../src/domain/duration.js';
import { assertInvalid } from '../helpers/assert-invalid.js';


describe('parseDuration accepts', () => {
  const rows: Array<[input: unknown, options: DurationOptions, seconds: number]> = [
    [90, {}, 90],
    [0, {}, 0],
    ['120', {}, 120],
    ['  120  ', {}, 120],
    ['90s', {}, 90],
    ['10m', {}, 600],
    ['1h', {}, 3600],
    ['1d', {}, 86_400],
    ['1w', {}, 604_800],
    ['2 minutes', {}, 120],
    ['1.5 hours', {}, 5400],
    ['.5m', {}, 30],
    ['5 min', {}, 300],
    ['5 mins', {}, 300],
    ['2 weeks', {}, 1_209_600],
    ['1 week', {}, 604_800],
    ['3 days', {}, 259_200],
    ['1 day', {}, 86_400],
    ['30 seconds', {}, 30],
    ['1 second', {}, 1],
    ['2 secs', {}, 2],
    ['2 sec', {}, 2],
    ['1 minute', {}, 60],
    ['1hr', {}, 3600],
    ['3 hrs', {}, 10_800],
    ['1 hour', {}, 3600],
    ['0s', {}, 0],
    ['10M', {}, 600],
    ['1 HOUR 30 Minutes', {}, 5400],
    ['1h30m', {}, 5400],
    ['1h 30m 15s', {}, 5415],
    ['1d2h3m4s', {}, 93_784],
    ['1hr30min', {}, 5400],
  ];
  for (const [input, options, seconds] of rows) {
    it(`${JSON.stringify(input)} ${JSON.stringify(options)} → ${seconds}s`, () => {
      assert.equal(parseDuration(input, 'f', options), seconds);
    });
  }
});

describe('parseDuration reads bare numbers in integerUnit', () => {
  const rows: Array<[input: unknown, options: DurationOptions, seconds: number]> = [
    [5, { integerUnit: 'minutes' }, 300],
    ['5', { integerUnit: 'minutes' }, 300],
    [2, { integerUnit: 'hours' }, 7200],
    ['1.5', { integerUnit: 'hours' }, 5400],
    [45, { integerUnit: 'seconds' }, 45],
    // An explicit unit wins over integerUnit.
    ['10m', { integerUnit: 'hours' }, 600],
    ['30s', { integerUnit: 'minutes' }, 30],
  ];
  for (const [input, options, seconds] of rows) {
    it(`${JSON.stringify(input)} as ${options.integerUnit} → ${seconds}s`, () => {
      assert.equal(parseDuration(input, 'f', options), seconds);
    });
  }
});

describe('parseDuration rounds fractions to whole seconds, half up', () => {
  const rows: Array<[input: unknown, seconds: number]> = [
    ['2.5s', 3],
    ['2.4s', 2],
    [0.5, 1],
    [0.49, 0],
    ['0.5', 1],
    ['1.1h', 3960], // 3960.0000000000005 in floating point
    [1.5, 2],
  ];
  for (const [input, seconds] of rows) {
    it(`${JSON.stringify(input)} → ${seconds}s`, () => assert.equal(parseDuration(input, 'f'), seconds));
  }
});

describe('parseDuration rejects, naming the field', () => {
  const rows: Array<[name: string, input: unknown, message: RegExp]> = [
    ['a negative number', -5, /must not be negative, got -5/],
    ['a negative string', '-5m', /must not be negative, got "-5m"/],
    ['NaN', Number.NaN, /must be a finite number, got NaN/],
    ['Infinity', Number.POSITIVE_INFINITY, /must be a finite number/],
    ['an empty string', '', /is empty; expected a number of seconds or a duration like "90s"/],
    ['blank text', '   ', /is empty/],
    ['an unknown unit', '10 parsecs', /unknown unit "parsecs" in "10 parsecs"; use s, sec, m, min, h, hr, d, w/],
    ['a one-letter unknown unit', '10x', /unknown unit "x"/],
    ['milliseconds', '500ms', /unknown unit "ms"/],
    ['words only', 'soon', /cannot read "soon" as a duration/],
    ['a trailing number without unit', '1h30', /cannot read "1h30" as a duration at "30"/],
    ['two dots', '1.2.3s', /cannot read/],
    ['null', null, /expected a number of seconds or a duration .*, got null/],
    ['undefined', undefined, /got nothing/],
    ['a boolean', true, /got a boolean/],
    ['an object', { seconds: 5 }, /got an object/],
    ['an array', [5], /got an array/],
    ['a huge number', 1e300, /is too large/],
  ];
  for (const [name, input, message] of rows) {
    it(name, () => assertInvalid(() => parseDuration(input, 'grace_seconds'), 'grace_seconds', message));
  }

  it('says which unit a bare number is read in', () => {
    assertInvalid(() => parseDuration('', 'timeout', { integerUnit: 'minutes' }), 'timeout', /a number of minutes/);
  });
});

describe('parseDuration bounds', () => {
  it('accepts values on the bounds (inclusive)', () => {
    assert.equal(parseDuration('1m', 'grace', { min: 60, max: 3600 }), 60);
    assert.equal(parseDuration('1h', 'grace', { min: 60, max: 3600 }), 3600);
  });
  it('rejects below min, naming field and bound', () => {
    assertInvalid(() => parseDuration('30s', 'grace', { min: 60 }), 'grace', /^grace: must be at least 1m, got 30s$/);
  });
  it('rejects above max, naming field and bound', () => {
    assertInvalid(() => parseDuration(25, 'grace', { integerUnit: 'hours', max: 86_400 }), 'grace', /^grace: must be at most 1d, got 1d 1h$/);
    assertInvalid(() => parseDuration('2d', 'grace', { max: 86_400 }), 'grace', /^grace: must be at most 1d, got 2d$/);
  });
  it('applies bounds after rounding', () => {
    assert.equal(parseDuration('0.5s', 'g', { min: 1 }), 1);
    assertInvalid(() => parseDuration('0.4s', 'g', { min: 1 }), 'g', /must be at least 1s, got 0s/);
  });
});

describe('formatDuration', () => {
  const rows: Array<[seconds: number, text: string]> = [
    [0, '0s'],
    [1, '1s'],
    [59, '59s'],
    [60, '1m'],
    [90, '1m 30s'],
    [3600, '1h'],
    [3601, '1h 1s'],
    [86_400, '1d'],
    [93_784, '1d 2h 3m 4s'],
    [691_200, '8d'],
    [1.6, '2s'],
    [-90, '-1m 30s'],
  ];
  for (const [seconds, text] of rows) {
    it(`${seconds} → "${text}"`, () => assert.equal(formatDuration(seconds), text));
  }
  it('round-trips through parseDuration', () => {
    for (const seconds of [0, 1, 59, 61, 3599, 3661, 86_399, 93_784, 1_000_000]) {
      assert.equal(parseDuration(formatDuration(seconds), 'f'), seconds);
    }
  });
});
