/**
 * The run-rule fields of a monitor through POST and PATCH: their defaults, how they are read (durations or
 * seconds; null resets), and bad input refused with a 400 naming the field while nothing stored changes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

const DEFAULTS = {
  expected_runtime: null,
  max_runtime: null,
  inactivity_timeout: null,
  schedule_tolerance: 0,
  failure_tolerance: 0,
  recovery_threshold: 1,
  overlap_policy: 'allow',
  running: 0,
  last_duration: null,
  degraded_reason: null,
};
const FIELDS = Object.keys(DEFAULTS) as (keyof typeof DEFAULTS)[];
const pick = (m: Record<string, unknown>) => Object.fromEntries(FIELDS.map((k) => [k, m[k]]));

describe('run rules on monitors (create, PATCH, validation)', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  const newMonitor = async (fields: Record<string, unknown> = {}) => {
    const r = await s.api('POST', '/v1/monitors', { name: `rules-${Math.random()}`, expected_interval_sec: 3600, ...fields });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };

  it('gives a new monitor the defaults, and shows them in GET and in the list', async () => {
    const m = await newMonitor();
    assert.deepEqual(pick(m), DEFAULTS);
    assert.deepEqual(pick((await s.api('GET', `/v1/monitors/${m.id}`)).json), DEFAULTS);
    const listed = (await s.api('GET', '/v1/monitors?limit=500')).json.items.find((x: { id: string }) => x.id === m.id);
    assert.deepEqual(pick(listed), DEFAULTS);
  });

  it('sets every run rule with PATCH, reading durations and seconds, and keeps them', async () => {
    const m = await newMonitor();
    const r = await s.api('PATCH', `/v1/monitors/${m.id}`, {
      expected_runtime: { min: '30s', max: '5m' },
      max_runtime: '10m',
      inactivity_timeout: 90,
      schedule_tolerance: 2,
      failure_tolerance: 1,
      recovery_threshold: 3,
      overlap_policy: 'alert',
    });
    assert.equal(r.status, 200, r.text);
    const expected = { ...DEFAULTS, expected_runtime: { min: 30, max: 300 }, max_runtime: 600, inactivity_timeout: 90, schedule_tolerance: 2, failure_tolerance: 1, recovery_threshold: 3, overlap_policy: 'alert' };
    assert.deepEqual(pick(r.json), expected);
    assert.deepEqual(pick((await s.api('GET', `/v1/monitors/${m.id}`)).json), expected);

    const partial = await s.api('PATCH', `/v1/monitors/${m.id}`, { expected_runtime: { max: '1h' }, failure_tolerance: 0 });
    assert.equal(partial.status, 200, partial.text);
    assert.deepEqual(pick(partial.json), { ...expected, expected_runtime: { min: null, max: 3600 }, failure_tolerance: 0 }, 'fields left out keep their values');
  });

  it('resets run rules to their defaults with null (and a runtime limit with 0)', async () => {
    const m = await newMonitor({ expected_runtime: { min: 1 }, max_runtime: 60, inactivity_timeout: '2m', schedule_tolerance: 3, failure_tolerance: 3, recovery_threshold: 2, overlap_policy: 'alert' });
    assert.deepEqual(m.expected_runtime, { min: 1, max: null });
    const r = await s.api('PATCH', `/v1/monitors/${m.id}`, { expected_runtime: null, max_runtime: 0, inactivity_timeout: null, schedule_tolerance: null, failure_tolerance: null, recovery_threshold: null, overlap_policy: null });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(pick(r.json), DEFAULTS);
  });

  const invalid: { name: string; body: Record<string, unknown>; field: string; message?: RegExp }[] = [
    { name: 'expected_runtime with min above max', body: { expected_runtime: { min: '5m', max: '30s' } }, field: 'expected_runtime', message: /min \(300s\) is greater than max \(30s\)/ },
    { name: 'expected_runtime without bounds', body: { expected_runtime: {} }, field: 'expected_runtime' },
    { name: 'expected_runtime with an unknown key', body: { expected_runtime: { min: '1s', avg: '2s' } }, field: 'expected_runtime.avg' },
    { name: 'an unreadable expected_runtime.max', body: { expected_runtime: { max: 'soon' } }, field: 'expected_runtime.max' },
    { name: 'expected_runtime.max of 0', body: { expected_runtime: { max: 0 } }, field: 'expected_runtime.max' },
    { name: 'an unreadable max_runtime', body: { max_runtime: 'forever' }, field: 'max_runtime' },
    { name: 'a max_runtime over 30 days', body: { max_runtime: '31d' }, field: 'max_runtime' },
    { name: 'a negative max_runtime', body: { max_runtime: -5 }, field: 'max_runtime' },
    { name: 'an unreadable inactivity_timeout', body: { inactivity_timeout: '5 fortnights' }, field: 'inactivity_timeout' },
    { name: 'a negative schedule_tolerance', body: { schedule_tolerance: -1 }, field: 'schedule_tolerance' },
    { name: 'a fractional schedule_tolerance', body: { schedule_tolerance: 1.5 }, field: 'schedule_tolerance' },
    { name: 'a schedule_tolerance over 100', body: { schedule_tolerance: 101 }, field: 'schedule_tolerance' },
    { name: 'a negative failure_tolerance', body: { failure_tolerance: -2 }, field: 'failure_tolerance' },
    { name: 'a recovery_threshold of 0', body: { recovery_threshold: 0 }, field: 'recovery_threshold' },
    { name: 'an unknown overlap_policy', body: { overlap_policy: 'skip' }, field: 'overlap_policy' },
  ];
  for (const c of invalid) {
    it(`refuses ${c.name} with a 400 naming ${c.field}, on PATCH (nothing changes) and on create (nothing created)`, async () => {
      const m = await newMonitor({ max_runtime: 120, schedule_tolerance: 1 });
      const before = (await s.api('GET', `/v1/monitors/${m.id}`)).json;
      const r = await s.api('PATCH', `/v1/monitors/${m.id}`, { name: 'renamed', ...c.body });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.json.error.code, 'validation_error');
      assert.equal(r.json.error.field, c.field, r.text);
      assert.ok(r.json.error.message.startsWith(`${c.field}: `), r.json.error.message);
      if (c.message) assert.match(r.json.error.message, c.message);
      assert.deepEqual((await s.api('GET', `/v1/monitors/${m.id}`)).json, before, 'nothing stored changes');

      const total = (await s.api('GET', '/v1/monitors')).json.total;
      const created = await s.api('POST', '/v1/monitors', { name: 'never', expected_interval_sec: 60, ...c.body });
      assert.equal(created.status, 400, created.text);
      assert.equal(created.json.error.field, c.field);
      assert.equal((await s.api('GET', '/v1/monitors')).json.total, total, 'nothing created');
    });
  }

  it('refuses run-rule changes from a read-only key with 403', async () => {
    const m = await newMonitor();
    const ro = (await s.api('POST', '/v1/keys', { read_only: true })).json.key;
    const r = await s.api('PATCH', `/v1/monitors/${m.id}`, { overlap_policy: 'alert' }, ro);
    assert.equal(r.status, 403);
    assert.equal((await s.api('GET', `/v1/monitors/${m.id}`)).json.overlap_policy, 'allow');
  });

  it('applies a new max_runtime to a run already open', async () => {
    const m = await newMonitor();
    await s.app.inject({ method: 'GET', url: `/v1/ping/${m.ping_token}/start` });
    const started = s.clock.now().getTime();
    assert.equal((await s.api('PATCH', `/v1/monitors/${m.id}`, { max_runtime: 30 })).status, 200);
    s.clock.set(new Date(started + 30_000));
    await s.scheduler.tick();
    const got = (await s.api('GET', `/v1/monitors/${m.id}`)).json;
    assert.deepEqual([got.state, got.down_reason], ['down', 'timeout']);
  });
});
