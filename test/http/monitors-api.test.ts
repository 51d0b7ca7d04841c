import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('monitors API', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('creates a monitor with the seed fields and next_expected_at one interval after creation', async () => {
    const r = await s.api('POST', '/v1/monitors', { name: 'nightly-backup', expected_interval_sec: 3600, grace_seconds: 120 });
    assert.equal(r.status, 201);
    const m = r.json;
    assert.match(m.id, /^mon_/);
    assert.equal(m.name, 'nightly-backup');
    assert.equal(m.key, 'nightly-backup');
    assert.equal(m.type, 'job');
    assert.equal(m.state, 'pending');
    assert.match(m.ping_token, /^mping_[A-Za-z0-9_-]{32}$/);
    assert.equal(m.ping_url, `http://overdue.test/v1/ping/${m.ping_token}`);
    assert.equal(m.expected_interval_sec, 3600);
    assert.equal(m.grace_seconds, 120);
    assert.equal(m.last_ping_at, null);
    assert.equal(m.next_expected_at, new Date(s.clock.now().getTime() + 3600_000).toISOString());
    assert.equal(m.schedule, 'every 1 hour');
    assert.equal(m.timezone, 'UTC');
    assert.deepEqual(m.tags, []);
    assert.equal(m.created_at, s.clock.now().toISOString());
  });

  it('accepts a cron schedule with a time zone and a grace duration string', async () => {
    s.clock.set('2026-03-01T12:00:00Z');
    const r = await s.api('POST', '/v1/monitors', { name: 'report', schedule: '30 2 * * *', timezone: 'America/New_York', grace_seconds: '10m', tags: ['reports'] });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.expected_interval_sec, null);
    assert.equal(r.json.grace_seconds, 600);
    assert.equal(r.json.next_expected_at, '2026-03-02T07:30:00.000Z');
  });

  for (const [schedule, seconds] of [['every 5 minutes', 300], ['hourly', 3600], ['daily', 86400], ['weekly', 604800]] as const) {
    it(`accepts the schedule "${schedule}" as a ${seconds}s interval`, async () => {
      const r = await s.api('POST', '/v1/monitors', { name: `n-${seconds}`, schedule });
      assert.equal(r.status, 201, r.text);
      assert.equal(r.json.expected_interval_sec, seconds);
    });
  }

  it('accepts "at 14:30" in a time zone', async () => {
    s.clock.set('2026-06-01T00:00:00Z');
    const r = await s.api('POST', '/v1/monitors', { name: 'at', schedule: 'at 14:30', timezone: 'Europe/Berlin' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.next_expected_at, '2026-06-01T12:30:00.000Z');
  });

  it('gives a second monitor with the same name a distinct key', async () => {
    const a = await s.api('POST', '/v1/monitors', { name: 'twin', expected_interval_sec: 60 });
    const b = await s.api('POST', '/v1/monitors', { name: 'twin', expected_interval_sec: 60 });
    assert.equal(b.status, 201);
    assert.notEqual(a.json.key, b.json.key);
  });

  it('refuses a user-chosen key that is taken with 409', async () => {
    await s.api('POST', '/v1/monitors', { name: 'k1', key: 'taken', expected_interval_sec: 60 });
    const r = await s.api('POST', '/v1/monitors', { name: 'k2', key: 'taken', expected_interval_sec: 60 });
    assert.equal(r.status, 409);
    assert.equal(r.json.error.code, 'conflict');
    assert.equal(r.json.error.field, 'key');
  });

  it('gets, lists with filters and pagination, patches and deletes', async () => {
    const created = (await s.api('POST', '/v1/monitors', { name: 'crud', expected_interval_sec: 60, tags: ['crud-tag'] })).json;
    assert.deepEqual((await s.api('GET', `/v1/monitors/${created.id}`)).json, created);

    const byTag = await s.api('GET', '/v1/monitors?tag=crud-tag');
    assert.deepEqual(byTag.json.items.map((m: { id: string }) => m.id), [created.id]);
    const page = await s.api('GET', '/v1/monitors?limit=2&offset=1');
    assert.equal(page.json.items.length, 2);
    assert.equal(page.json.limit, 2);
    assert.equal(page.json.offset, 1);
    assert.ok(page.json.total >= 3);
    const pending = await s.api('GET', '/v1/monitors?state=pending');
    assert.ok(pending.json.items.every((m: { state: string }) => m.state === 'pending'));

    const patched = await s.api('PATCH', `/v1/monitors/${created.id}`, { name: 'crud2', schedule: '*/10 * * * *', grace_seconds: 30 });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.json.name, 'crud2');
    assert.equal(patched.json.schedule, '*/10 * * * *');
    assert.equal(patched.json.expected_interval_sec, null);
    assert.equal(patched.json.ping_token, created.ping_token);

    assert.equal((await s.api('DELETE', `/v1/monitors/${created.id}`)).status, 204);
    assert.equal((await s.api('GET', `/v1/monitors/${created.id}`)).status, 404);
    assert.equal((await s.api('DELETE', `/v1/monitors/${created.id}`)).status, 404);
  });

  it('pauses with auto-resume and resumes', async () => {
    const m = (await s.api('POST', '/v1/monitors', { name: 'pausable', expected_interval_sec: 60 })).json;
    s.clock.advance(5);
    const paused = await s.api('POST', `/v1/monitors/${m.id}/pause`, { hours: 2 });
    assert.equal(paused.json.updated_at, s.clock.now().toISOString(), 'a state change updates updated_at');
    assert.equal(paused.status, 200, paused.text);
    assert.equal(paused.json.state, 'paused');
    assert.equal(paused.json.paused_until, new Date(s.clock.now().getTime() + 2 * 3600_000).toISOString());
    const plain = await s.api('POST', `/v1/monitors/${m.id}/pause`);
    assert.equal(plain.status, 200, plain.text);
    assert.equal(plain.json.paused_until, null);
    const resumed = await s.api('POST', `/v1/monitors/${m.id}/resume`);
    assert.equal(resumed.json.state, 'pending');
    const flips = await s.api('GET', `/v1/monitors/${m.id}/flips`);
    assert.deepEqual(flips.json.items.map((f: { from: string; to: string }) => `${f.from}>${f.to}`), ['paused>pending', 'paused>paused', 'pending>paused']);
  });
});
