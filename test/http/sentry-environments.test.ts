/**
 * Environments: each (slug, environment) is its own monitor — `<slug>` for `production` (or none sent),
 * `<slug>.<environment>` otherwise — so states, runs and deadlines of `production` and `staging` are independent.
 * An environment's monitor is created on its first check-in, from its monitor_config or else as a copy of the
 * slug's monitor.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { checkIn, envelope, randomHex, sentryProject, type SentryProject } from '../helpers/sentry.js';

describe('Sentry environments', () => {
  let s: TestServer;
  let p: SentryProject;
  beforeEach(async () => {
    s = await startTestServer();
    p = await sentryProject(s);
  });
  afterEach(() => s.close());

  /** Posts one envelope carrying the given check-in items (the JS SDK's shape). */
  const send = async (...items: ReturnType<typeof checkIn>[]) => {
    const r = await s.app.inject({ method: 'POST', url: `/api/${p.projectId}/envelope/?sentry_key=${p.publicKey}`, payload: envelope({}, items) });
    assert.equal(r.statusCode, 200, r.body);
  };
  const bySlug = (key: string) => s.store.getMonitorBySlug(p.pingKey, key);
  const monitor = async (key: string) => {
    const m = await bySlug(key);
    assert.ok(m, `monitor ${key} exists`);
    return (await s.api('GET', `/v1/monitors/${m.id}`)).json;
  };
  const runs = async (key: string) => {
    const m = await monitor(key);
    return (await s.api('GET', `/v1/monitors/${m.id}/runs`)).json.items.reverse();
  };
  const hourly = { schedule: { type: 'interval', value: 1, unit: 'hour' }, checkin_margin: 1 };

  it('tracks production and staging of one slug separately: states, open runs and runs', async () => {
    const prodRun = randomHex();
    const stagingRun = randomHex();
    await send(checkIn('sync', 'in_progress', { check_in_id: prodRun, environment: 'production', monitor_config: hourly }));
    await send(checkIn('sync', 'in_progress', { check_in_id: stagingRun, environment: 'staging', monitor_config: hourly }));
    assert.deepEqual([(await monitor('sync')).state, (await monitor('sync.staging')).state], ['running', 'running']);

    s.clock.advance(20);
    await send(checkIn('sync', 'error', { check_in_id: stagingRun, environment: 'staging' }));
    assert.deepEqual([(await monitor('sync')).state, (await monitor('sync.staging')).state], ['running', 'down']);

    s.clock.advance(10);
    await send(checkIn('sync', 'ok', { check_in_id: undefined, environment: 'production' }));
    assert.deepEqual([(await monitor('sync')).state, (await monitor('sync.staging')).state], ['up', 'down']);
    assert.deepEqual((await runs('sync')).map((r: any) => [r.run_id, r.outcome, r.duration]), [[prodRun, 'success', 30]]);
    assert.deepEqual((await runs('sync.staging')).map((r: any) => [r.run_id, r.outcome, r.duration]), [[stagingRun, 'failed', 20]]);
  });

  it('misses one environment on its own deadline while the other keeps checking in', async () => {
    await send(checkIn('hourly', 'ok', { monitor_config: hourly }));
    await send(checkIn('hourly', 'ok', { environment: 'staging' }));
    s.clock.advance(3600);
    await send(checkIn('hourly', 'ok'));
    s.clock.advance(120);
    await s.scheduler.tick();
    const prod = await monitor('hourly');
    const staging = await monitor('hourly.staging');
    assert.deepEqual([prod.state, staging.state, staging.down_reason], ['up', 'down', 'missed']);
  });

  it('sends check-ins without an environment and with "production" to the same monitor', async () => {
    await send(checkIn('plain', 'ok', { monitor_config: hourly }));
    await send(checkIn('plain', 'error', { environment: 'production' }));
    await send(checkIn('plain', 'ok', { environment: '' }));
    const pings = (await s.api('GET', `/v1/monitors/${(await monitor('plain')).id}/pings`)).json.items.reverse();
    assert.deepEqual(pings.map((x: any) => [x.kind, x.env]), [['success', null], ['fail', 'production'], ['success', null]]);
    assert.equal(await bySlug('plain.production'), null);
  });

  it("creates an environment's monitor without a config as a copy of the slug's monitor", async () => {
    const base = await s.api('POST', '/v1/monitors', {
      name: 'Billing export', key: 'billing', schedule: '15 2 * * *', timezone: 'Europe/Berlin', grace_seconds: 600, tags: ['team-a'],
      max_runtime: '20m', failure_tolerance: 2, recovery_threshold: 2, realert_interval: 2, assertions: ['metric.duration < 10 min'],
      payload_scanning: { failure_keyword: 'Traceback' },
    });
    assert.equal(base.status, 201, base.text);
    await send(checkIn('billing', 'ok', { environment: 'eu west' }));
    const copy = await monitor('billing.eu-west');
    const { id: _a, key: _b, name, tags, ping_url: _c, ping_token: _d, created_at: _e, updated_at: _f, last_ping_at: _g, next_expected_at: _h, state: _i, ...settings } = copy;
    const { id: _j, key: _k, name: _l, tags: _m, ping_url: _n, ping_token: _o, created_at: _p, updated_at: _q, last_ping_at: _r, next_expected_at: _s, state: _t, ...baseSettings } = base.json;
    assert.deepEqual([name, tags], ['billing (eu west)', ['team-a', 'env:eu west']]);
    assert.deepEqual(settings, { ...baseSettings, last_duration: settings.last_duration });
    assert.equal(copy.state, 'up');
    assert.equal((await monitor('billing')).state, 'pending', "the slug's own monitor is untouched");
  });

  it("upserts only the environment's monitor from a config sent in that environment", async () => {
    await send(checkIn('deploy', 'ok', { monitor_config: { schedule: { type: 'crontab', value: '0 * * * *' }, checkin_margin: 1 } }));
    await send(checkIn('deploy', 'ok', { environment: 'staging', monitor_config: { schedule: { type: 'crontab', value: '*/10 * * * *' }, checkin_margin: 9 } }));
    const prod = await monitor('deploy');
    const staging = await monitor('deploy.staging');
    assert.deepEqual([prod.schedule, prod.grace_seconds, prod.tags], ['0 * * * *', 60, []]);
    assert.deepEqual([staging.name, staging.schedule, staging.grace_seconds, staging.tags], ['deploy (staging)', '*/10 * * * *', 540, ['env:staging']]);
  });

  it('ignores an environment whose slug has no monitor, when no config comes with it', async () => {
    await send(checkIn('ghost', 'ok', { environment: 'staging' }));
    assert.equal(await bySlug('ghost.staging'), null);
    assert.equal(await bySlug('ghost'), null);
  });
});
