/**
 * Sentry's plain HTTP check-in endpoint, `GET|POST /api/:project_id/cron/:slug/:key/` (and `/cron/:slug/` with the
 * key in `X-Sentry-Auth` or `?sentry_key=`): a check-in from the query string or from a JSON body (the only way to
 * send a monitor_config over it), `202` with an empty body; a missing `check_in_id` closes the latest open run.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { sentryProject, type SentryProject } from '../helpers/sentry.js';

describe('Sentry HTTP check-in endpoint', () => {
  let s: TestServer;
  let p: SentryProject;
  before(async () => {
    s = await startTestServer();
    p = await sentryProject(s);
  });
  after(() => s.close());

  const cron = (slug: string, query = '', options: { method?: 'GET' | 'POST'; body?: unknown; headers?: Record<string, string>; key?: string | null } = {}) => {
    const key = options.key === undefined ? p.publicKey : options.key;
    const url = `/api/${p.projectId}/cron/${slug}/${key === null ? '' : `${key}/`}${query ? `?${query}` : ''}`;
    const json = options.body !== undefined && typeof options.body !== 'string';
    return s.app.inject({
      method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
      url,
      headers: { ...(json ? { 'content-type': 'application/json' } : {}), ...options.headers },
      payload: options.body === undefined ? undefined : json ? JSON.stringify(options.body) : (options.body as string),
    });
  };
  const accepted = async (...args: Parameters<typeof cron>) => {
    const r = await cron(...args);
    assert.equal(r.statusCode, 202, r.body);
    assert.equal(r.body, '');
  };
  const create = async (key: string) => {
    const r = await s.api('POST', '/v1/monitors', { name: key, key, expected_interval_sec: 3600 });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  const monitor = async (id: string) => (await s.api('GET', `/v1/monitors/${id}`)).json;
  const runs = async (id: string) => (await s.api('GET', `/v1/monitors/${id}/runs`)).json.items.reverse();

  it('records GET ?status=in_progress then ok with the same check_in_id as one run (the UUID in Sentry\'s form)', async () => {
    const m = await create('curl-job');
    const id = randomUUID().toUpperCase();
    await accepted('curl-job', `status=in_progress&check_in_id=${id}&environment=production`);
    assert.equal((await monitor(m.id)).state, 'running');
    s.clock.advance(30);
    await accepted('curl-job', `status=ok&check_in_id=${id}&duration=29.5`);
    const got = await monitor(m.id);
    assert.deepEqual([got.state, got.last_duration], ['up', 29.5]);
    assert.deepEqual((await runs(m.id)).map((r: any) => [r.run_id, r.outcome, r.duration]), [[id.replaceAll('-', '').toLowerCase(), 'success', 29.5]]);
  });

  it('without check_in_id, ok or error closes the latest open run (the nil UUID means the same)', async () => {
    const m = await create('no-id-job');
    await accepted('no-id-job', 'status=in_progress');
    s.clock.advance(10);
    await accepted('no-id-job', 'status=in_progress');
    s.clock.advance(5);
    await accepted('no-id-job', 'status=error');
    let got = await runs(m.id);
    assert.deepEqual(got.map((r: any) => [r.outcome, r.duration]), [['running', null], ['failed', 5]]);
    s.clock.advance(5);
    await accepted('no-id-job', 'status=ok&check_in_id=00000000-0000-0000-0000-000000000000');
    got = await runs(m.id);
    assert.deepEqual(got.map((r: any) => [r.outcome, r.duration]), [['success', 20], ['failed', 5]]);
    assert.equal((await monitor(m.id)).running, 0);
  });

  it('reads a POSTed JSON check-in, upserting the monitor from its monitor_config, and ignores the query then', async () => {
    const body = { status: 'in_progress', check_in_id: randomUUID(), monitor_config: { schedule: { type: 'crontab', value: '0 * * * *' }, checkin_margin: 1, max_runtime: 20, timezone: 'America/Los_Angeles' } };
    await accepted('json-job', 'status=error', { body });
    const m = await s.store.getMonitorBySlug(p.pingKey, 'json-job');
    assert.ok(m);
    const got = await monitor(m.id);
    assert.deepEqual([got.state, got.schedule, got.timezone, got.grace_seconds, got.max_runtime], ['running', '0 * * * *', 'America/Los_Angeles', 60, 1200]);
    await accepted('json-job', '', { body: { status: 'ok', check_in_id: body.check_in_id, duration: 2 } });
    assert.equal((await monitor(m.id)).state, 'up');
  });

  it('takes the key from X-Sentry-Auth or ?sentry_key= on /cron/:slug/, and answers POST without a body from the query', async () => {
    const m = await create('header-job');
    await accepted('header-job', 'status=error', { key: null, headers: { 'x-sentry-auth': `Sentry sentry_key=${p.publicKey}, sentry_version=7` } });
    assert.equal((await monitor(m.id)).state, 'down');
    await accepted('header-job', `status=ok&sentry_key=${p.publicKey}`, { key: null, method: 'POST' });
    assert.equal((await monitor(m.id)).state, 'up');
    const noSlash = await s.app.inject({ method: 'GET', url: `/api/${p.projectId}/cron/header-job/${p.pingKey}?status=error` });
    assert.equal(noSlash.statusCode, 202, 'the ping key itself works as the key, and the trailing slash is optional');
    assert.equal((await monitor(m.id)).state, 'down');
  });

  it('sends an environment other than production to its own monitor, created from the slug\'s', async () => {
    const m = await create('env-curl-job');
    await accepted('env-curl-job', 'status=ok');
    await accepted('env-curl-job', 'status=error&environment=dev');
    const dev = await s.store.getMonitorBySlug(p.pingKey, 'env-curl-job.dev');
    assert.ok(dev);
    assert.deepEqual([(await monitor(m.id)).state, (await monitor(dev.id)).state], ['up', 'down']);
  });

  it('does not take HEAD as a check-in', async () => {
    const m = await create('head-job');
    const r = await s.app.inject({ method: 'HEAD', url: `/api/${p.projectId}/cron/head-job/${p.publicKey}/?status=ok` });
    assert.equal(r.statusCode, 405);
    assert.equal((await monitor(m.id)).state, 'pending');
  });

  it('accepts a check-in for an unknown slug without creating anything (Sentry drops it too)', async () => {
    await accepted('never-created', 'status=ok');
    assert.equal(await s.store.getMonitorBySlug(p.pingKey, 'never-created'), null);
  });

  it('answers 400 with a detail for a missing or unknown status, a bad duration, bad JSON or an invalid monitor_config', async () => {
    await create('strict-job');
    const cases: [string, Parameters<typeof cron>[2]][] = [
      ['', {}],
      ['status=missed', {}],
      ['status=ok&duration=-1', {}],
      ['', { method: 'POST', body: '{nope', headers: { 'content-type': 'application/json' } }],
      ['', { body: { status: 'ok', monitor_config: { schedule: { type: 'crontab', value: '61 * * * *' } } } }],
      ['', { body: { status: 'ok', monitor_config: { schedule: { type: 'interval', value: 2, unit: 'fortnight' } } } }],
      ['', { body: { status: 'ok', monitor_config: { schedule: { type: 'crontab', value: '0 * * * *' }, timezone: 'Mars/Base' } } }],
    ];
    for (const [query, options] of cases) {
      const r = await cron('strict-job', query, options);
      assert.equal(r.statusCode, 400, `${query} ${JSON.stringify(options)} → ${r.body}`);
      assert.equal(typeof JSON.parse(r.body).detail, 'string');
    }
    const m = await s.store.getMonitorBySlug(p.pingKey, 'strict-job');
    assert.equal(m?.state, 'pending', 'nothing was recorded');
  });

  it('refuses a missing key (401), an unknown key or another project id (403)', async () => {
    await create('locked-job');
    const none = await cron('locked-job', 'status=ok', { key: null });
    assert.equal(none.statusCode, 401);
    assert.deepEqual(JSON.parse(none.body), { detail: 'missing authorization information' });
    assert.equal((await cron('locked-job', 'status=ok', { key: 'cd'.repeat(16) })).statusCode, 403);
    const other = await s.app.inject({ method: 'GET', url: `/api/1/cron/locked-job/${p.publicKey}/?status=ok` });
    assert.equal(other.statusCode, 403);
    assert.equal((await s.store.getMonitorBySlug(p.pingKey, 'locked-job'))?.state, 'pending');
  });
});
