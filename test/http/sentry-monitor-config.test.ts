/**
 * Monitor upsert from a check-in's `monitor_config`: what each Sentry field becomes (crontab or interval schedule,
 * checkin_margin → grace, max_runtime, timezone, failure_issue_threshold N → failure and schedule tolerance N−1,
 * recovery_threshold), Sentry's defaults for left-out fields, no write when nothing changed, and the rules then
 * enforced (max_runtime timeouts through the scheduler, the recovery threshold).
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { randomHex, sentryProject, type SentryProject } from '../helpers/sentry.js';

describe('Sentry monitor_config upsert', () => {
  let s: TestServer;
  let p: SentryProject;
  beforeEach(async () => {
    s = await startTestServer();
    p = await sentryProject(s);
  });
  afterEach(() => s.close());

  /** Sends one check-in as a JSON POST to the cron endpoint (the same reading as an envelope item). */
  const checkIn = async (slug: string, body: Record<string, unknown>) => {
    const r = await s.app.inject({ method: 'POST', url: `/api/${p.projectId}/cron/${encodeURIComponent(slug)}/${p.publicKey}/`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) });
    assert.equal(r.statusCode, 202, r.body);
  };
  const monitor = async (key: string) => {
    const m = await s.store.getMonitorBySlug(p.pingKey, key);
    assert.ok(m, `monitor ${key} exists`);
    return (await s.api('GET', `/v1/monitors/${m.id}`)).json;
  };
  const crontab = (value: string) => ({ type: 'crontab', value });

  it('maps every field of a crontab config', async () => {
    await checkIn('full', { status: 'in_progress', monitor_config: { schedule: crontab('@daily'), checkin_margin: 15, max_runtime: 90, timezone: 'Asia/Tokyo', failure_issue_threshold: 4, recovery_threshold: 3 } });
    const m = await monitor('full');
    assert.deepEqual(
      { name: m.name, type: m.type, schedule: m.schedule, timezone: m.timezone, grace: m.grace_seconds, max: m.max_runtime, tolerance: m.failure_tolerance, misses: m.schedule_tolerance, recovery: m.recovery_threshold, state: m.state },
      { name: 'full', type: 'job', schedule: '@daily', timezone: 'Asia/Tokyo', grace: 900, max: 5400, tolerance: 3, misses: 3, recovery: 3, state: 'running' },
    );
  });

  it('maps interval units to seconds, a month as 31 days and a year as 366', async () => {
    const cases: [string, number, number][] = [['minute', 30, 1800], ['hour', 2, 7200], ['day', 1, 86_400], ['week', 2, 1_209_600], ['month', 1, 2_678_400], ['year', 1, 31_622_400]];
    for (const [unit, value, seconds] of cases) {
      await checkIn(`every-${unit}`, { status: 'ok', monitor_config: { schedule: { type: 'interval', value, unit } } });
      assert.equal((await monitor(`every-${unit}`)).expected_interval_sec, seconds, unit);
    }
  });

  it("gives left-out fields Sentry's defaults, also when an earlier config had set them", async () => {
    await checkIn('defaults', { status: 'ok', monitor_config: { schedule: crontab('0 * * * *') } });
    let m = await monitor('defaults');
    assert.deepEqual([m.timezone, m.grace_seconds, m.max_runtime, m.failure_tolerance, m.recovery_threshold], ['UTC', 60, 1800, 0, 1]);

    await checkIn('defaults', { status: 'ok', monitor_config: { schedule: crontab('0 * * * *'), checkin_margin: 10, max_runtime: 5, timezone: 'Europe/Paris', failure_issue_threshold: 2, recovery_threshold: 2 } });
    m = await monitor('defaults');
    assert.deepEqual([m.timezone, m.grace_seconds, m.max_runtime, m.failure_tolerance, m.recovery_threshold], ['Europe/Paris', 600, 300, 1, 2]);

    await checkIn('defaults', { status: 'ok', monitor_config: { schedule: { type: 'interval', value: 10, unit: 'minute' } } });
    m = await monitor('defaults');
    assert.deepEqual([m.expected_interval_sec, m.timezone, m.grace_seconds, m.max_runtime, m.failure_tolerance, m.recovery_threshold], [600, 'UTC', 60, 1800, 0, 1]);
  });

  it('caps thresholds over Overdue\'s 100 rather than refusing the check-in', async () => {
    await checkIn('capped', { status: 'ok', monitor_config: { schedule: crontab('0 * * * *'), failure_issue_threshold: 720, recovery_threshold: 720 } });
    const m = await monitor('capped');
    assert.deepEqual([m.failure_tolerance, m.recovery_threshold], [100, 100]);
  });

  it('writes nothing when the config is unchanged, and keeps the name and tags of a monitor made through the API', async () => {
    const created = await s.api('POST', '/v1/monitors', { name: 'Nightly backup', key: 'backup', schedule: '0 3 * * *', tags: ['team-a'], grace_seconds: 300 });
    assert.equal(created.status, 201, created.text);
    const config = { schedule: crontab('30 3 * * *'), checkin_margin: 5, timezone: 'Europe/Berlin' };
    await checkIn('backup', { status: 'ok', monitor_config: config });
    const first = await monitor('backup');
    assert.deepEqual([first.name, first.tags, first.schedule, first.timezone, first.grace_seconds], ['Nightly backup', ['team-a'], '30 3 * * *', 'Europe/Berlin', 300]);

    let updates = 0;
    const update = s.store.updateMonitor.bind(s.store);
    s.store.updateMonitor = (...args) => {
      updates++;
      return update(...args);
    };
    s.clock.advance(60);
    await checkIn('backup', { status: 'ok', monitor_config: config });
    assert.equal(updates, 0, 'the same config again: only the ping is written');
    await checkIn('backup', { status: 'ok', monitor_config: { ...config, checkin_margin: 6 } });
    assert.equal(updates, 1);
    assert.equal((await monitor('backup')).grace_seconds, 360);
  });

  it('slugifies the slug as Sentry does before looking the monitor up', async () => {
    await checkIn('Nightly Job!', { status: 'ok', monitor_config: { schedule: crontab('0 * * * *') } });
    assert.equal((await monitor('nightly-job')).name, 'nightly-job');
  });

  it('times a run out after max_runtime minutes (the scheduler), counted by failure_issue_threshold', async () => {
    await checkIn('slow', { status: 'ok', monitor_config: { schedule: crontab('0 * * * *'), max_runtime: 2, failure_issue_threshold: 1 } });
    const id = randomHex();
    await checkIn('slow', { status: 'in_progress', check_in_id: id });
    s.clock.advance(119);
    await s.scheduler.tick();
    assert.equal((await monitor('slow')).state, 'running');
    s.clock.advance(1);
    await s.scheduler.tick();
    const m = await monitor('slow');
    assert.deepEqual([m.state, m.down_reason], ['down', 'timeout']);
    const runs = (await s.api('GET', `/v1/monitors/${m.id}/runs`)).json.items;
    assert.deepEqual([runs[0].run_id, runs[0].outcome], [id, 'timeout']);
  });

  it('tolerates failure_issue_threshold − 1 missed runs too, as Sentry counts misses and errors alike', async () => {
    await checkIn('nightly', { status: 'ok', monitor_config: { schedule: { type: 'interval', value: 1, unit: 'hour' }, failure_issue_threshold: 2 } });
    const t0 = s.clock.now().getTime();
    const tickAt = async (seconds: number) => {
      s.clock.set(new Date(t0 + seconds * 1000));
      await s.scheduler.tick();
    };
    await tickAt(3600);
    await tickAt(3661);
    assert.equal((await monitor('nightly')).state, 'up', 'the first miss is tolerated');
    await tickAt(7200);
    await tickAt(7261);
    const m = await monitor('nightly');
    assert.deepEqual([m.state, m.down_reason], ['down', 'missed']);
  });

  it('needs recovery_threshold successes in a row to leave down', async () => {
    await checkIn('flaky', { status: 'error', monitor_config: { schedule: crontab('0 * * * *'), recovery_threshold: 2 } });
    assert.equal((await monitor('flaky')).state, 'down');
    await checkIn('flaky', { status: 'ok' });
    assert.equal((await monitor('flaky')).state, 'down');
    await checkIn('flaky', { status: 'ok' });
    assert.equal((await monitor('flaky')).state, 'up');
  });
});
