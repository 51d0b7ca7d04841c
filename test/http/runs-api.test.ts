/**
 * GET /v1/monitors/:id/runs through the public HTTP surface: how starts pair with completions (by run id, else
 * the latest open run), what a run records (duration, failure kind, exit code, ping ids), the monitor's
 * `running` and `last_duration`, pagination, and who may read the list.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey, createProject } from '../../src/app/keys.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('runs API', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  const newMonitor = async (fields: Record<string, unknown> = {}) => {
    const r = await s.api('POST', '/v1/monitors', { name: `runs-${Math.random()}`, expected_interval_sec: 3600, grace_seconds: 120, ...fields });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  /** Sends a ping (a POST when there is a body) and returns the state it answered with. */
  const ping = async (token: string, action = '', query = '', body?: string) => {
    const url = `/v1/ping/${token}${action ? `/${action}` : ''}${query ? `?${query}` : ''}`;
    const r = await s.app.inject({ method: body === undefined ? 'GET' : 'POST', url, payload: body, headers: body === undefined ? {} : { 'content-type': 'text/plain' } });
    assert.equal(r.statusCode, 200, `${url}: ${r.body}`);
    return JSON.parse(r.body).state as string;
  };
  const runs = async (id: string, query = '') => {
    const r = await s.api('GET', `/v1/monitors/${id}/runs${query}`);
    assert.equal(r.status, 200, r.text);
    return r.json;
  };
  const monitor = async (id: string) => (await s.api('GET', `/v1/monitors/${id}`)).json;
  /** The ids of the monitor's pings, oldest first. */
  const pingIds = async (id: string): Promise<number[]> => (await s.api('GET', `/v1/monitors/${id}/pings?limit=500`)).json.items.map((p: { id: number }) => p.id).reverse();
  const iso = (d: Date) => d.toISOString();

  it('pairs overlapping runs by rid whatever order they finish in, and lists them newest first', async () => {
    const m = await newMonitor();
    const t0 = s.clock.now();
    assert.equal(await ping(m.ping_token, 'start', 'rid=a'), 'running');
    s.clock.advance(10);
    assert.equal(await ping(m.ping_token, 'start', 'rid=b'), 'running');
    assert.equal((await monitor(m.id)).running, 2);

    s.clock.advance(20);
    assert.equal(await ping(m.ping_token, '', 'rid=a'), 'running', 'run b is still open');
    let got = await monitor(m.id);
    assert.deepEqual([got.running, got.last_duration], [1, 30]);

    s.clock.advance(40);
    assert.equal(await ping(m.ping_token, '', 'rid=b'), 'up');
    got = await monitor(m.id);
    assert.deepEqual([got.running, got.last_duration], [0, 60]);

    const [startA, startB, endA, endB] = await pingIds(m.id);
    const page = await runs(m.id);
    assert.equal(page.total, 2);
    assert.deepEqual(page.items.map(({ id: _id, ...rest }: { id: number }) => rest), [
      { run_id: 'b', outcome: 'success', started_at: iso(new Date(t0.getTime() + 10_000)), finished_at: iso(new Date(t0.getTime() + 70_000)), duration: 60, failure_kind: null, exit_code: null, reason: null, start_ping_id: startB, end_ping_id: endB },
      { run_id: 'a', outcome: 'success', started_at: iso(t0), finished_at: iso(new Date(t0.getTime() + 30_000)), duration: 30, failure_kind: null, exit_code: null, reason: null, start_ping_id: startA, end_ping_id: endA },
    ]);
    assert.ok(page.items[0].id > page.items[1].id, 'newest first');
  });

  it('lists an open run as running, and without a run id closes the most recent one', async () => {
    const m = await newMonitor();
    const t0 = s.clock.now();
    await ping(m.ping_token, 'start');
    s.clock.advance(20);
    await ping(m.ping_token, 'start');
    let page = await runs(m.id);
    assert.deepEqual(page.items.map((r: { outcome: string; finished_at: string | null; duration: number | null }) => [r.outcome, r.finished_at, r.duration]), [['running', null, null], ['running', null, null]]);

    s.clock.advance(30);
    assert.equal(await ping(m.ping_token), 'running', 'the first run is still open');
    page = await runs(m.id);
    assert.deepEqual(page.items.map((r: { outcome: string; started_at: string; duration: number | null }) => [r.outcome, r.started_at, r.duration]), [
      ['success', iso(new Date(t0.getTime() + 20_000)), 30],
      ['running', iso(t0), null],
    ]);
    assert.equal((await monitor(m.id)).running, 1);
  });

  it('records a completion without a start as a run with no start, of the client\'s duration or of unknown length', async () => {
    const m = await newMonitor();
    assert.equal(await ping(m.ping_token, '', 'duration=12.5'), 'up');
    s.clock.advance(60);
    await ping(m.ping_token);
    const page = await runs(m.id);
    const [first, second] = await pingIds(m.id);
    assert.deepEqual(page.items.map((r: Record<string, unknown>) => [r.run_id, r.outcome, r.started_at, r.duration, r.start_ping_id, r.end_ping_id]), [
      [null, 'success', null, null, null, second],
      [null, 'success', null, 12.5, null, first],
    ]);
    const got = await monitor(m.id);
    assert.equal(got.last_duration, 12.5, 'an unknown duration does not overwrite the last known one');
    assert.equal(got.running, 0);
  });

  it('prefers the client\'s duration over the measured one, and accepts series and check_in_id as run ids', async () => {
    const m = await newMonitor();
    await ping(m.ping_token, 'start', 'check_in_id=ci-1');
    s.clock.advance(100);
    await ping(m.ping_token, '', 'series=ci-1&duration=42.25');
    const [run] = (await runs(m.id)).items;
    assert.deepEqual([run.run_id, run.outcome, run.duration, run.started_at === null], ['ci-1', 'success', 42.25, false]);
    assert.equal((await monitor(m.id)).last_duration, 42.25);
  });

  it('does not close another run for a completion naming an unknown run id', async () => {
    const m = await newMonitor();
    await ping(m.ping_token, 'start', 'rid=known');
    s.clock.advance(5);
    assert.equal(await ping(m.ping_token, '', 'rid=stranger'), 'running');
    const page = await runs(m.id);
    assert.deepEqual(page.items.map((r: { run_id: string; outcome: string; started_at: string | null }) => [r.run_id, r.outcome, r.started_at === null]), [
      ['stranger', 'success', true],
      ['known', 'running', false],
    ]);
    assert.equal((await monitor(m.id)).running, 1);
  });

  it('records why a run failed: fail ping, exit code, failure keyword, violated assertion', async () => {
    const m = await newMonitor({ payload_scanning: { failure_keyword: 'ERROR' }, assertions: ['metric.duration < 5 min'] });
    await ping(m.ping_token, 'start', 'rid=f1');
    s.clock.advance(1);
    assert.equal(await ping(m.ping_token, 'fail', 'rid=f1'), 'down');
    await ping(m.ping_token, 'start', 'rid=f2');
    s.clock.advance(2);
    await ping(m.ping_token, '3', 'rid=f2');
    await ping(m.ping_token, 'start', 'rid=f3');
    s.clock.advance(3);
    // The keyword is upper case, the output lower case: scanning ignores case.
    assert.equal(await ping(m.ping_token, '', 'rid=f3', 'copying…\nerror: disk full\n'), 'down');
    await ping(m.ping_token, 'start', 'rid=f4');
    s.clock.advance(600);
    assert.equal(await ping(m.ping_token, '', 'rid=f4'), 'down');

    const items = (await runs(m.id)).items.reverse();
    assert.deepEqual(items.map((r: Record<string, unknown>) => [r.run_id, r.outcome, r.failure_kind, r.exit_code, r.duration]), [
      ['f1', 'failed', 'fail', null, 1],
      ['f2', 'failed', 'exit_code', 3, 2],
      ['f3', 'failed', 'keyword', null, 3],
      ['f4', 'failed', 'assertion', null, 600],
    ]);
    assert.match(items[1].reason, /exit code 3/);
    assert.match(items[2].reason, /failure keyword "ERROR" found/);
    assert.match(items[3].reason, /assertion failed: metric\.duration < 5 min/);
    assert.equal((await monitor(m.id)).down_reason, 'failed');
  });

  it('keeps a run open through /progress pings, which record a progress ping and change no state', async () => {
    const m = await newMonitor();
    await ping(m.ping_token, 'start', 'rid=p');
    s.clock.advance(10);
    assert.equal(await ping(m.ping_token, 'progress', 'rid=p'), 'running');
    const post = await s.app.inject({ method: 'POST', url: `/v1/ping/${m.ping_token}/progress?rid=p`, payload: '50%', headers: { 'content-type': 'text/plain' } });
    assert.deepEqual(JSON.parse(post.body), { ok: true, state: 'running' });
    const pings = (await s.api('GET', `/v1/monitors/${m.id}/pings`)).json.items;
    assert.deepEqual(pings.map((p: { kind: string }) => p.kind), ['progress', 'progress', 'start']);
    assert.deepEqual((await runs(m.id)).items.map((r: { outcome: string }) => r.outcome), ['running']);
    assert.equal((await monitor(m.id)).last_ping_at, null, 'a progress ping is not a completion');
  });

  it('refuses a run id over 64 characters with a 400 naming the parameter, and opens no run', async () => {
    const m = await newMonitor();
    const r = await s.app.inject({ method: 'GET', url: `/v1/ping/${m.ping_token}/start?rid=${'r'.repeat(65)}` });
    assert.equal(r.statusCode, 400);
    assert.equal(JSON.parse(r.body).error.field, 'rid');
    assert.equal(await ping(m.ping_token, 'start', `rid=${'r'.repeat(64)}`), 'running');
    assert.equal((await runs(m.id)).total, 1);
  });

  it('paginates runs with limit and offset, newest first, and validates them', async () => {
    const m = await newMonitor();
    for (let i = 1; i <= 5; i++) {
      s.clock.advance(60);
      await ping(m.ping_token, '', `rid=run-${i}&duration=${i}`);
    }
    const page = await runs(m.id, '?limit=2&offset=1');
    assert.deepEqual([page.total, page.limit, page.offset], [5, 2, 1]);
    assert.deepEqual(page.items.map((r: { run_id: string }) => r.run_id), ['run-4', 'run-3']);
    assert.deepEqual((await runs(m.id, '?limit=2&offset=4')).items.map((r: { run_id: string }) => r.run_id), ['run-1']);
    assert.deepEqual((await runs(m.id, '?offset=5')).items, []);
    const defaults = await runs(m.id);
    assert.deepEqual([defaults.limit, defaults.offset, defaults.items.length], [50, 0, 5]);
    for (const [query, field] of [['limit=0', 'limit'], ['limit=501', 'limit'], ['offset=-1', 'offset']]) {
      const bad = await s.api('GET', `/v1/monitors/${m.id}/runs?${query}`);
      assert.equal(bad.status, 400, query);
      assert.equal(bad.json.error.code, 'validation_error');
      assert.equal(bad.json.error.field, field, query);
    }
  });

  it('lets a read-only key read runs, and answers 404 to another project\'s key and for an unknown monitor', async () => {
    const m = await newMonitor();
    await ping(m.ping_token, 'start', 'rid=x');
    const mine = await runs(m.id);

    const ro = (await s.api('POST', '/v1/keys', { read_only: true, name: 'runs-reader' })).json.key;
    const read = await s.api('GET', `/v1/monitors/${m.id}/runs`, undefined, ro);
    assert.equal(read.status, 200);
    assert.deepEqual(read.json, mine);

    const other = await createProject(s.store, s.clock, 'Elsewhere');
    const { secret } = await createApiKey(s.store, s.clock, other.id);
    const foreign = await s.api('GET', `/v1/monitors/${m.id}/runs`, undefined, secret);
    assert.equal(foreign.status, 404);
    assert.equal(foreign.json.error.code, 'not_found');
    assert.equal((await s.api('GET', '/v1/monitors/mon_doesnotexist/runs')).status, 404);
    assert.equal((await s.app.inject({ method: 'GET', url: `/v1/monitors/${m.id}/runs` })).statusCode, 401, 'no key, no runs');
  });
});
