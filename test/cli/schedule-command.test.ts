import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './cli-harness.js';

// No server, no environment: `schedule next` is computed locally.
describe('overdue schedule next', () => {
  it('runs a 02:00 New York job at 03:00 EDT on the day 02:00 does not exist (DST gap)', async () => {
    const r = await runCli(['schedule', 'next', '0 2 * * *', '--tz', 'America/New_York', '--after', '2025-03-08T12:00:00Z', '--count', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '2025-03-09T07:00:00.000Z\n2025-03-10T06:00:00.000Z\n2025-03-11T06:00:00.000Z\n');
  });

  it('prints five runs in UTC by default, and a JSON document with --json', async () => {
    const r = await runCli(['schedule', 'next', 'every 90 minutes', '--after', '2025-01-01T00:00:00+01:00', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      schedule: 'every 90 minutes',
      timezone: 'UTC',
      after: '2024-12-31T23:00:00.000Z',
      next: ['2025-01-01T00:30:00.000Z', '2025-01-01T02:00:00.000Z', '2025-01-01T03:30:00.000Z', '2025-01-01T05:00:00.000Z', '2025-01-01T06:30:00.000Z'],
    });
  });

  it('starts from now without --after', async () => {
    const before = Date.now();
    const r = await runCli(['schedule', 'next', '@hourly', '--count', '1']);
    assert.equal(r.code, 0, r.stderr);
    const next = Date.parse(r.stdout.trim());
    assert.ok(next > before && next <= before + 3_600_000 + 60_000, r.stdout);
  });

  it('exits 1 naming the problem for a bad expression, time zone or --after', async () => {
    const cases: Array<[args: string[], message: RegExp]> = [
      [['0 25 * * *'], /^error: schedule: .*hour/],
      [['@daily', '--tz', 'Mars/Olympus_Mons'], /^error: timezone: unknown time zone "Mars\/Olympus_Mons"/],
      [['@daily', '--after', 'yesterday'], /^error: --after: "yesterday" is not an ISO 8601 instant/],
      [['@daily', '--after', '2025-02-30'], /^error: --after: "2025-02-30"/],
      [['@daily', '--after', '2025-03-08T12:00'], /needs "Z" or an offset/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(['schedule', 'next', ...args]);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
  });

  it('refuses a --count outside 1–100 as a usage error (exit 2)', async () => {
    for (const count of ['0', '101', 'many']) {
      const r = await runCli(['schedule', 'next', '@daily', '--count', count]);
      assert.equal(r.code, 2, count);
      assert.match(r.stderr, /--count/);
    }
  });
});
