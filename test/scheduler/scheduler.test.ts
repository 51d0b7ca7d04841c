import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('scheduler with a manual clock', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  const state = async (id: string) => (await s.api('GET', `/v1/monitors/${id}`)).json;

  it('moves an unpinged monitor to late at the expected time and to down when grace elapses', async () => {
    const m = (await s.api('POST', '/v1/monitors', { name: 'never', expected_interval_sec: 600, grace_seconds: 60 })).json;
    s.clock.advance(599);
    assert.equal(await s.scheduler.tick(), 0);
    assert.equal((await state(m.id)).state, 'pending');
    s.clock.advance(1);
    assert.equal(await s.scheduler.tick(), 1);
    assert.equal((await state(m.id)).state, 'late');
    s.clock.advance(59);
    await s.scheduler.tick();
    assert.equal((await state(m.id)).state, 'late');
    s.clock.advance(1);
    await s.scheduler.tick();
    const down = await state(m.id);
    assert.equal(down.state, 'down');
    assert.equal(down.down_reason, 'missed');
    const flips = (await s.api('GET', `/v1/monitors/${m.id}/flips`)).json.items;
    assert.deepEqual(flips.map((f: { to: string }) => f.to), ['down', 'late']);
  });

  it('recovers a down monitor on its next ping', async () => {
    const m = (await s.api('POST', '/v1/monitors', { name: 'recover', expected_interval_sec: 60, grace_seconds: 0 })).json;
    s.clock.advance(61);
    await s.scheduler.tick();
    assert.equal((await state(m.id)).state, 'down');
    const r = await s.app.inject({ method: 'GET', url: `/v1/ping/${m.ping_token}` });
    assert.equal(JSON.parse(r.body).state, 'up');
  });

  it('times out a run that never completes', async () => {
    const m = (await s.api('POST', '/v1/monitors', { name: 'hang', expected_interval_sec: 3600, grace_seconds: 300 })).json;
    await s.app.inject({ method: 'GET', url: `/v1/ping/${m.ping_token}/start` });
    s.clock.advance(3600 + 299);
    await s.scheduler.tick();
    assert.equal((await state(m.id)).state, 'running');
    s.clock.advance(1);
    await s.scheduler.tick();
    const down = await state(m.id);
    assert.equal(down.state, 'down');
    assert.equal(down.down_reason, 'timeout');
  });

  it('ends a timed pause on time', async () => {
    const m = (await s.api('POST', '/v1/monitors', { name: 'nap', expected_interval_sec: 60 })).json;
    await s.app.inject({ method: 'GET', url: `/v1/ping/${m.ping_token}` });
    await s.api('POST', `/v1/monitors/${m.id}/pause`, { hours: 1 });
    s.clock.advance(3599);
    await s.scheduler.tick();
    assert.equal((await state(m.id)).state, 'paused');
    s.clock.advance(1);
    await s.scheduler.tick();
    const resumed = await state(m.id);
    assert.equal(resumed.state, 'up');
    assert.equal(resumed.next_expected_at, new Date(s.clock.now().getTime() + 60_000).toISOString());
  });

  it('follows a cron schedule in its time zone across a DST gap', async () => {
    s.clock.set('2025-03-08T12:00:00Z');
    const m = (await s.api('POST', '/v1/monitors', { name: 'dst', schedule: '30 2 * * *', timezone: 'America/New_York', grace_seconds: 0 })).json;
    // 02:30 does not exist on 2025-03-09 in New York: the run is expected at 03:00 EDT = 07:00Z.
    assert.equal(m.next_expected_at, '2025-03-09T07:00:00.000Z');
    s.clock.set('2025-03-09T06:59:59Z');
    await s.scheduler.tick();
    assert.equal((await state(m.id)).state, 'pending');
    s.clock.set('2025-03-09T07:00:00Z');
    await s.scheduler.tick();
    assert.equal((await state(m.id)).state, 'down');
  });

  it('handles a mass outage in batches, each monitor once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await s.api('POST', '/v1/monitors', { name: `bulk-${i}`, expected_interval_sec: 60, grace_seconds: 0 })).json.id);
    s.clock.advance(3600);
    await s.scheduler.tick();
    for (const id of ids) assert.equal((await state(id)).state, 'down');
    assert.equal(await s.scheduler.tick(), 0, 'a second pass finds nothing to do');
  });
});

describe('scheduler loop in real time', () => {
  it('marks a monitor down within 1 s of its deadline, without polling', async () => {
    const { systemClock } = await import('../../src/app/clock.js');
    const s = await startTestServer({}, { runScheduler: true, clock: systemClock as never });
    try {
      const m = (await s.api('POST', '/v1/monitors', { name: 'fast', expected_interval_sec: 1, grace_seconds: 0 })).json;
      const deadline = new Date(m.next_expected_at).getTime();
      let downAt = 0;
      while (Date.now() < deadline + 3000) {
        const got = (await s.api('GET', `/v1/monitors/${m.id}`)).json;
        if (got.state === 'down') {
          downAt = Date.now();
          break;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(downAt > 0, 'monitor never went down');
      assert.ok(downAt - deadline < 1000, `went down ${downAt - deadline} ms after the deadline`);
      const flips = (await s.api('GET', `/v1/monitors/${m.id}/flips`)).json.items;
      assert.ok(new Date(flips[0].at).getTime() - deadline < 1000);
    } finally {
      await s.close();
    }
  });
});
