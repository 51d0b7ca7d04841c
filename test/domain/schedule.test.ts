import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  intervalSchedule,
  isValidTimezone,
  nextExpected,
  nextExpectedRuns,
  parseSchedule,
  type Schedule,
} from '../../src/domain/schedule.js';
import { assertInvalid } from '../helpers/assert-invalid.js';


const iso = (dates: Array<Date | null>): Array<string | null> => dates.map((d) => (d === null ? null : d.toISOString()));
// Expected instants may be written with their local offset; compare as UTC.
const utc = (texts: string[]): string[] => texts.map((t) => new Date(t).toISOString());

describe('parseSchedule: interval forms', () => {
  const rows: Array<[text: string, seconds: number, normalized: string]> = [
    ['every 5 minutes', 300, 'every 5 minutes'],
    ['every minute', 60, 'every minute'],
    ['every 30 seconds', 30, 'every 30 seconds'],
    ['every second', 1, 'every second'],
    ['every 2 hours', 7200, 'every 2 hours'],
    ['every hour', 3600, 'every hour'],
    ['every day', 86_400, 'every day'],
    ['every 2 days', 172_800, 'every 2 days'],
    ['every week', 604_800, 'every week'],
    ['every 1.5 hours', 5400, 'every 1.5 hours'],
    ['every 1h30m', 5400, 'every 1h30m'],
    ['every 10 min', 600, 'every 10 min'],
    ['  Every   5  MINUTES ', 300, 'every 5 minutes'],
    ['hourly', 3600, 'hourly'],
    ['daily', 86_400, 'daily'],
    ['weekly', 604_800, 'weekly'],
    ['Daily', 86_400, 'daily'],
  ];
  for (const [text, seconds, normalized] of rows) {
    it(`"${text}" → every ${seconds}s`, () => {
      assert.deepEqual(parseSchedule(text, 'UTC'), { kind: 'interval', seconds, text: normalized });
    });
  }
});

describe('parseSchedule: cron forms', () => {
  const rows: Array<[text: string, tz: string, expression: string, normalized: string]> = [
    ['at 14:30', 'Europe/Berlin', '30 14 * * *', 'at 14:30'],
    ['at 9:05', 'UTC', '5 9 * * *', 'at 9:05'],
    ['at 09:05', 'UTC', '5 9 * * *', 'at 09:05'],
    ['at 0:00', 'UTC', '0 0 * * *', 'at 0:00'],
    ['at 23:59', 'UTC', '59 23 * * *', 'at 23:59'],
    ['at 14:30:00', 'UTC', '30 14 * * *', 'at 14:30:00'],
    ['every day at 14:30', 'UTC', '30 14 * * *', 'every day at 14:30'],
    ['Daily at 14:30', 'UTC', '30 14 * * *', 'daily at 14:30'],
    ['*/5 * * * *', 'UTC', '*/5 * * * *', '*/5 * * * *'],
    ['  0   9 * *  mon-fri ', 'UTC', '0 9 * * MON-FRI', '0 9 * * mon-fri'],
    ['0 0 1,15 jan-mar,Jul *', 'UTC', '0 0 1,15 JAN-MAR,JUL *', '0 0 1,15 jan-mar,Jul *'],
    ['0 0 * * 0', 'UTC', '0 0 * * 0', '0 0 * * 0'],
    ['0 0 * * 7', 'UTC', '0 0 * * 7', '0 0 * * 7'],
    ['0 0 L * *', 'UTC', '0 0 L * *', '0 0 L * *'],
    ['0 0 lw * *', 'UTC', '0 0 LW * *', '0 0 lw * *'],
    ['0 0 15W * *', 'UTC', '0 0 15W * *', '0 0 15W * *'],
    ['0 0 1,L * *', 'UTC', '0 0 1,L * *', '0 0 1,L * *'],
    ['0 0 L/2 * *', 'UTC', '0 0 L/2 * *', '0 0 L/2 * *'], // cronsim reads L/2 as L
    ['0 0 * * 5L', 'UTC', '0 0 * * 5L', '0 0 * * 5L'],
    ['0 0 * * 0L', 'UTC', '0 0 * * 0L', '0 0 * * 0L'],
    ['0 0 * * 1#2', 'UTC', '0 0 * * 1#2', '0 0 * * 1#2'],
    ['0 0 * * fri#1,1', 'UTC', '0 0 * * FRI#1,1', '0 0 * * fri#1,1'],
    ['0 0 ? * MON', 'UTC', '0 0 ? * MON', '0 0 ? * MON'],
    ['5/10 * * * *', 'UTC', '5/10 * * * *', '5/10 * * * *'],
    ['0 0-23/2 * * *', 'UTC', '0 0-23/2 * * *', '0 0-23/2 * * *'],
    ['*/60 * * * *', 'UTC', '*/60 * * * *', '*/60 * * * *'],
    ['0 0 29 2 *', 'UTC', '0 0 29 2 *', '0 0 29 2 *'], // leap days exist
    ['@yearly', 'UTC', '0 0 1 1 *', '@yearly'],
    ['@annually', 'UTC', '0 0 1 1 *', '@annually'],
    ['@monthly', 'UTC', '0 0 1 * *', '@monthly'],
    ['@weekly', 'UTC', '0 0 * * 0', '@weekly'],
    ['@daily', 'UTC', '0 0 * * *', '@daily'],
    ['@midnight', 'UTC', '0 0 * * *', '@midnight'],
    ['@HOURLY', 'UTC', '0 * * * *', '@hourly'],
  ];
  for (const [text, tz, expression, normalized] of rows) {
    it(`"${text}" → ${expression}`, () => {
      assert.deepEqual(parseSchedule(text, tz), { kind: 'cron', expression, timezone: tz, text: normalized });
    });
  }

  it('fixes the letter case of a zone but keeps aliases as given', () => {
    assert.equal((parseSchedule('@daily', 'europe/berlin') as { timezone: string }).timezone, 'Europe/Berlin');
    assert.equal((parseSchedule('@daily', 'utc') as { timezone: string }).timezone, 'UTC');
    assert.equal((parseSchedule('@daily', 'US/Eastern') as { timezone: string }).timezone, 'US/Eastern');
  });
});

describe('parseSchedule rejects with a helpful message', () => {
  const rows: Array<[name: string, text: string, tz: string, field: string, message: RegExp]> = [
    ['an unknown zone', '0 0 * * *', 'Mars/Base', 'timezone', /unknown time zone "Mars\/Base"; use an IANA name such as "UTC"/],
    ['an unknown zone with an interval', 'hourly', 'Mars/Base', 'timezone', /unknown time zone/],
    ['a UTC offset as zone', '0 0 * * *', '+01:00', 'timezone', /unknown time zone "\+01:00"/],
    ['6 fields', '0 0 * * * *', 'UTC', 'schedule', /"0 0 \* \* \* \*" has 6 fields; only 5-field cron expressions are accepted \(minute hour day-of-month month day-of-week/],
    ['7 fields', '0 0 12 * * ? 2025', 'UTC', 'schedule', /has 7 fields; only 5-field/],
    ['4 fields', '0 0 * *', 'UTC', 'schedule', /expected a 5-field cron expression, a macro like @daily, "every N minutes\|hours\|days", "hourly", "daily", "weekly" or "at HH:MM", got "0 0 \* \*"/],
    ['garbage', 'whenever you feel like it', 'UTC', 'schedule', /^schedule: expected a 5-field cron expression.*got "whenever you feel like it"$/],
    ['five words', 'hello there my good friend', 'UTC', 'schedule', /expected a 5-field cron expression/],
    ['empty text', '   ', 'UTC', 'schedule', /is empty; expected a 5-field cron expression/],
    ['a day no selected month has', '0 0 30 2 *', 'UTC', 'schedule', /^schedule: bad day-of-month in "0 0 30 2 \*" \(no selected month has day 30\)$/],
    ['day 31 in 30-day months', '0 0 31 4,6,9,11 *', 'UTC', 'schedule', /no selected month has day 31/],
    ['days 30 and 31 in February', '0 0 30,31 feb *', 'UTC', 'schedule', /no selected month has any of days 30, 31/],
    ['a descending range', '5-1 * * * *', 'UTC', 'schedule', /^schedule: bad minute in "5-1 \* \* \* \*" \(range "5-1" goes backwards; write the smaller value first\)$/],
    ['a weekday range over the weekend', '0 0 * * SAT-SUN', 'UTC', 'schedule', /bad day-of-week .*goes backwards.*SAT,SUN/],
    ['#6', '0 0 * * MON#6', 'UTC', 'schedule', /^schedule: bad day-of-week in "0 0 \* \* MON#6" \("MON#6": the week after # must be 1-5/],
    ['#0', '0 0 * * 1#0', 'UTC', 'schedule', /bad day-of-week .*must be 1-5/],
    ['L in a day range', '0 0 1-3L * *', 'UTC', 'schedule', /bad day-of-month .*"1-3L" is not accepted; use L \(last day\)/],
    ['a named nL', '0 0 * * monL', 'UTC', 'schedule', /^schedule: bad day-of-week in "0 0 \* \* monL" \("MONL" is not accepted; nL takes one day number 0-7/],
    ['nL with a step', '0 0 * * 5L/2', 'UTC', 'schedule', /bad day-of-week/],
    ['LW in a list', '0 0 1,LW * *', 'UTC', 'schedule', /LW must be the only value/],
    ['a */N step beyond the field', '*/100 * * * *', 'UTC', 'schedule', /bad minute .*step 100 in "\*\/100" is larger than the field's range 0-59; use a step from 1 to 60/],
    ['a zero step', '*/0 * * * *', 'UTC', 'schedule', /step in "\*\/0" must be at least 1/],
    ['minute 60', '60 * * * *', 'UTC', 'schedule', /bad minute .*60 is out of range; accepted: 0-59/],
    ['hour 24', '0 24 * * *', 'UTC', 'schedule', /bad hour .*24 is out of range; accepted: 0-23/],
    ['month 13', '0 0 * 13 *', 'UTC', 'schedule', /bad month .*13 is out of range; accepted: 1-12 or JAN-DEC/],
    ['day-of-week 8', '0 0 * * 8', 'UTC', 'schedule', /bad day-of-week .*8 is out of range/],
    ['an unknown name', '0 0 * * MONDAY', 'UTC', 'schedule', /bad day-of-week .*"MONDAY" is not a valid value/],
    ['an empty list item', '1,,2 * * * *', 'UTC', 'schedule', /bad minute .*empty item/],
    ['? outside the day fields', '0 ? * * *', 'UTC', 'schedule', /bad hour .*"\?" is not a valid value/],
    ['a pattern that never matches', '0 0 */31 * 1#2', 'UTC', 'schedule', /never matches any date \(day-of-month and day-of-week must both match/],
    ['an interval of 0 seconds', 'every 0 seconds', 'UTC', 'schedule', /^schedule: interval "every 0 seconds" is shorter than 1 second; intervals must be at least 1 second$/],
    ['an interval below 1 second', 'every 0.4 seconds', 'UTC', 'schedule', /shorter than 1 second/],
    ['an interval without unit', 'every 5', 'UTC', 'schedule', /"every 5" needs a unit/],
    ['an unreadable interval', 'every banana', 'UTC', 'schedule', /cannot read "every banana" as an interval; expected a 5-field/],
    ['hour 24 in "at"', 'at 24:00', 'UTC', 'schedule', /bad time in "at 24:00" \(expected HH:MM on a 24-hour clock/],
    ['seconds in "at"', 'at 12:30:15', 'UTC', 'schedule', /seconds are not supported/],
    ['an unknown macro', '@reboot', 'UTC', 'schedule', /unknown macro "@reboot"; accepted: @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly/],
  ];
  for (const [name, text, tz, field, message] of rows) {
    it(name, () => assertInvalid(() => parseSchedule(text, tz), field, message));
  }

  it('uses the given field names', () => {
    assertInvalid(() => parseSchedule('nope', 'UTC', 'cron'), 'cron', /^cron: expected a 5-field/);
    assertInvalid(() => parseSchedule('daily', 'Nowhere/City', 'cron', 'tz'), 'tz', /^tz: unknown time zone "Nowhere\/City"/);
  });

  it('rejects non-string text', () => {
    assertInvalid(() => parseSchedule(42 as unknown as string, 'UTC'), 'schedule', /got number/);
  });
});

describe('intervalSchedule', () => {
  const rows: Array<[seconds: number, text: string]> = [
    [1, 'every 1 second'],
    [90, 'every 90 seconds'],
    [60, 'every 1 minute'],
    [300, 'every 5 minutes'],
    [3600, 'every 1 hour'],
    [7200, 'every 2 hours'],
    [5400, 'every 90 minutes'],
    [86_400, 'every 1 day'],
    [172_800, 'every 2 days'],
    [604_800, 'every 1 week'],
  ];
  for (const [seconds, text] of rows) {
    it(`${seconds} → "${text}", which parses back to the same interval`, () => {
      const schedule = intervalSchedule(seconds);
      assert.deepEqual(schedule, { kind: 'interval', seconds, text });
      assert.deepEqual(parseSchedule(text, 'UTC'), schedule);
    });
  }
  for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    it(`rejects ${bad}`, () => {
      assertInvalid(() => intervalSchedule(bad), 'expected_interval_sec', /must be a whole number of seconds, at least 1/);
    });
  }
  it('uses the given field name', () => {
    assertInvalid(() => intervalSchedule(0, 'period'), 'period', /^period: /);
  });
});

describe('isValidTimezone', () => {
  const rows: Array<[tz: string, valid: boolean]> = [
    ['UTC', true],
    ['Europe/Berlin', true],
    ['america/new_york', true],
    ['Australia/Lord_Howe', true],
    ['Mars/Base', false],
    ['', false],
    ['+01:00', false],
    ['Europe/', false],
  ];
  for (const [tz, valid] of rows) it(`${JSON.stringify(tz)} → ${valid}`, () => assert.equal(isValidTimezone(tz), valid));
});

describe('nextExpected / nextExpectedRuns: cron', () => {
  // [schedule text, zone, after, expected instants (local offsets allowed), why]
  const rows: Array<[text: string, tz: string, after: string, expected: string[], why?: string]> = [
    ['*/15 * * * *', 'UTC', '2025-06-10T10:07:30Z', ['2025-06-10T10:15:00Z', '2025-06-10T10:30:00Z', '2025-06-10T10:45:00Z']],
    ['30 2 * * 1-5', 'UTC', '2025-06-13T03:00:00Z', ['2025-06-16T02:30:00Z', '2025-06-17T02:30:00Z'], '06-13 is a Friday: next is Monday'],
    ['5/20 * * * *', 'UTC', '2025-06-10T10:00:00Z', ['2025-06-10T10:05:00Z', '2025-06-10T10:25:00Z', '2025-06-10T10:45:00Z', '2025-06-10T11:05:00Z']],
    ['0 12 * * *', 'UTC', '2025-06-10T12:00:00Z', ['2025-06-11T12:00:00Z'], 'strictly after: a run at the start instant is not next'],
    ['0 12 * * *', 'UTC', '2025-06-10T12:00:00.500Z', ['2025-06-11T12:00:00Z']],
    ['0 12 * * *', 'UTC', '2025-06-10T11:59:59.999Z', ['2025-06-10T12:00:00Z']],
    ['0 0 L * *', 'UTC', '2025-01-15T00:00:00Z', ['2025-01-31T00:00:00Z', '2025-02-28T00:00:00Z', '2025-03-31T00:00:00Z']],
    ['0 0 L * *', 'UTC', '2024-02-01T00:00:00Z', ['2024-02-29T00:00:00Z'], 'leap year'],
    ['0 0 L/2 * *', 'UTC', '2025-01-15T00:00:00Z', ['2025-01-31T00:00:00Z', '2025-02-28T00:00:00Z'], 'L/2 = L'],
    ['0 0 LW * *', 'UTC', '2025-05-01T00:00:00Z', ['2025-05-30T00:00:00Z', '2025-06-30T00:00:00Z', '2025-07-31T00:00:00Z', '2025-08-29T00:00:00Z'], 'May 31 is a Saturday, Aug 31 a Sunday'],
    ['0 0 15W * *', 'UTC', '2025-03-01T00:00:00Z', ['2025-03-14T00:00:00Z', '2025-04-15T00:00:00Z', '2025-05-15T00:00:00Z', '2025-06-16T00:00:00Z'], 'Mar 15 Sat → Fri 14; Jun 15 Sun → Mon 16'],
    ['0 0 1,L * *', 'UTC', '2025-02-10T00:00:00Z', ['2025-02-28T00:00:00Z', '2025-03-01T00:00:00Z', '2025-03-31T00:00:00Z']],
    ['0 0 * * 5L', 'UTC', '2025-01-01T00:00:00Z', ['2025-01-31T00:00:00Z', '2025-02-28T00:00:00Z', '2025-03-28T00:00:00Z'], 'last Fridays'],
    ['0 0 * * 0L', 'UTC', '2025-01-01T00:00:00Z', ['2025-01-26T00:00:00Z', '2025-02-23T00:00:00Z'], 'last Sundays'],
    ['0 0 * * 7L', 'UTC', '2025-01-01T00:00:00Z', ['2025-01-26T00:00:00Z', '2025-02-23T00:00:00Z'], '7L = 0L'],
    ['0 0 * * 1#2', 'UTC', '2025-01-01T00:00:00Z', ['2025-01-13T00:00:00Z', '2025-02-10T00:00:00Z', '2025-03-10T00:00:00Z'], 'second Mondays'],
    ['0 0 * * 1,3#1', 'UTC', '2025-03-26T00:00:00Z', ['2025-03-31T00:00:00Z', '2025-04-02T00:00:00Z', '2025-04-07T00:00:00Z'], 'every Monday, plus the first Wednesday'],
    ['0 9 * jan,JUL mon', 'UTC', '2025-06-30T12:00:00Z', ['2025-07-07T09:00:00Z', '2025-07-14T09:00:00Z', '2025-07-21T09:00:00Z', '2025-07-28T09:00:00Z', '2026-01-05T09:00:00Z']],
    ['0 0 * * 7', 'UTC', '2025-06-10T00:00:00Z', ['2025-06-15T00:00:00Z', '2025-06-22T00:00:00Z'], '7 = Sunday'],
    ['0 0 * * SUN', 'UTC', '2025-06-10T00:00:00Z', ['2025-06-15T00:00:00Z']],
    ['0 0 * * */3', 'UTC', '2025-06-08T00:00:00Z', ['2025-06-11T00:00:00Z', '2025-06-14T00:00:00Z', '2025-06-15T00:00:00Z'], 'cronsim counts */3 over 0-7 from Sunday: Sun, Wed, Sat'],
    ['@hourly', 'UTC', '2025-06-10T10:30:00Z', ['2025-06-10T11:00:00Z', '2025-06-10T12:00:00Z']],
    ['@daily', 'UTC', '2025-06-10T10:30:00Z', ['2025-06-11T00:00:00Z']],
    ['@midnight', 'UTC', '2025-06-10T10:30:00Z', ['2025-06-11T00:00:00Z']],
    ['@weekly', 'UTC', '2025-06-10T10:30:00Z', ['2025-06-15T00:00:00Z'], 'Sundays'],
    ['@monthly', 'UTC', '2025-06-10T10:30:00Z', ['2025-07-01T00:00:00Z']],
    ['@yearly', 'UTC', '2025-06-10T10:30:00Z', ['2026-01-01T00:00:00Z']],
    // Vixie: dom */2 starts with "*", so dom AND dow: Mondays that are odd days. June 2025 Mondays
    // are 2, 9, 16, 23, 30 → 9, 23; July 7, 14, 21, 28 → 7, 21; August 4, 11, 18, 25 → 11, 25.
    ['0 6 */2 * MON', 'UTC', '2025-06-01T00:00:00Z', ['2025-06-09T06:00:00Z', '2025-06-23T06:00:00Z', '2025-07-07T06:00:00Z', '2025-07-21T06:00:00Z', '2025-08-11T06:00:00Z', '2025-08-25T06:00:00Z']],
    // Vixie: neither day field starts with "*", so OR: the 1st of the month and every Monday.
    ['0 0 1 * MON', 'UTC', '2025-06-25T00:00:00Z', ['2025-06-30T00:00:00Z', '2025-07-01T00:00:00Z', '2025-07-07T00:00:00Z']],
    // dow */7 = {0, 7} = Sunday, ANDed with days 1-7: the first Sunday (cronsim's own example).
    ['0 0 1-7 * */7', 'UTC', '2025-06-02T00:00:00Z', ['2025-07-06T00:00:00Z', '2025-08-03T00:00:00Z']],
    // A full range 0-6 does not start with "*", so it is ORed with dom and matches every day.
    ['0 0 15 * 0-6', 'UTC', '2025-06-10T00:00:00Z', ['2025-06-11T00:00:00Z', '2025-06-12T00:00:00Z']],
    // "?" counts as "*": AND, so only Mondays.
    ['0 0 ? * MON', 'UTC', '2025-06-10T00:00:00Z', ['2025-06-16T00:00:00Z', '2025-06-23T00:00:00Z']],
    ['0 0 29 2 *', 'UTC', '2025-01-01T00:00:00Z', ['2028-02-29T00:00:00Z', '2032-02-29T00:00:00Z']],
    ['at 14:30', 'Europe/Berlin', '2025-06-10T00:00:00Z', ['2025-06-10T14:30:00+02:00', '2025-06-11T14:30:00+02:00'], 'CEST'],
    ['at 14:30', 'Europe/Berlin', '2025-12-01T00:00:00Z', ['2025-12-01T14:30:00+01:00'], 'CET'],
    ['every day at 9:05', 'Asia/Kolkata', '2025-06-10T00:00:00Z', ['2025-06-10T09:05:00+05:30', '2025-06-11T09:05:00+05:30'], 'half-hour zone'],
  ];
  for (const [text, tz, after, expected, why] of rows) {
    it(`${text} in ${tz} after ${after}${why ? ` (${why})` : ''}`, () => {
      const schedule = parseSchedule(text, tz);
      assert.deepEqual(iso(nextExpectedRuns(schedule, new Date(after), expected.length)), utc(expected));
      assert.equal(nextExpected(schedule, new Date(after))?.toISOString(), utc(expected)[0]);
    });
  }

  it('returns null / fewer runs past the search horizon (croner stops before year 3000)', () => {
    const schedule = parseSchedule('0 0 1 1 *', 'UTC');
    assert.equal(nextExpected(schedule, new Date('2999-06-01T00:00:00Z')), null);
    assert.deepEqual(nextExpectedRuns(schedule, new Date('2998-06-01T00:00:00Z'), 3), [new Date('2999-01-01T00:00:00Z')]);
  });

  it('validates a hand-built cron schedule', () => {
    const schedule: Schedule = { kind: 'cron', expression: '0 0 30 2 *', timezone: 'UTC', text: '0 0 30 2 *' };
    assertInvalid(() => nextExpected(schedule, new Date('2025-01-01T00:00:00Z')), 'schedule', /no selected month has day 30/);
  });

  it('keeps giving right answers when more expressions are used than the cache holds', () => {
    const after = new Date('2025-06-10T00:00:00Z');
    for (let round = 0; round < 2; round += 1) {
      for (let hour = 0; hour < 24; hour += 1) {
        for (let minute = 0; minute < 60; minute += 1) {
          const next = nextExpected(parseSchedule(`${minute} ${hour} * * *`, 'UTC'), after);
          assert.equal(next?.getTime(), after.getTime() + (hour * 60 + minute) * 60_000 + (hour === 0 && minute === 0 ? 86_400_000 : 0));
        }
      }
    }
  });
});

describe('nextExpected / nextExpectedRuns: interval', () => {
  it('adds the interval to the instant, keeping milliseconds', () => {
    const schedule = parseSchedule('every 5 minutes', 'UTC');
    const after = new Date('2025-06-10T10:00:00.250Z');
    assert.equal(nextExpected(schedule, after)?.toISOString(), '2025-06-10T10:05:00.250Z');
    assert.deepEqual(iso(nextExpectedRuns(schedule, after, 3)), ['2025-06-10T10:05:00.250Z', '2025-06-10T10:10:00.250Z', '2025-06-10T10:15:00.250Z']);
  });
  it('ignores DST: an interval is real elapsed time', () => {
    const schedule = parseSchedule('every day', 'America/New_York');
    assert.equal(nextExpected(schedule, new Date('2025-03-08T12:00:00Z'))?.toISOString(), '2025-03-09T12:00:00.000Z');
  });
  it('works with intervalSchedule', () => {
    assert.deepEqual(iso(nextExpectedRuns(intervalSchedule(90), new Date('2025-06-10T10:00:00Z'), 2)), ['2025-06-10T10:01:30.000Z', '2025-06-10T10:03:00.000Z']);
  });
});

describe('nextExpectedRuns: arguments', () => {
  const schedule = parseSchedule('@hourly', 'UTC');
  const after = new Date('2025-06-10T10:30:00Z');
  it('returns [] for count 0', () => {
    assert.deepEqual(nextExpectedRuns(schedule, after, 0), []);
    assert.deepEqual(nextExpectedRuns(intervalSchedule(60), after, 0), []);
  });
  for (const count of [-1, 1.5, 1001, Number.NaN]) {
    it(`rejects count ${count}`, () => assertInvalid(() => nextExpectedRuns(schedule, after, count), 'count', /must be a whole number from 0 to 1000/));
  }
  it('rejects an invalid Date', () => {
    assert.throws(() => nextExpected(schedule, new Date('nope')), RangeError);
  });
});
