import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey, createProject } from '../../src/app/keys.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

describe('API keys and projects', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('refuses a missing or wrong key with 401 JSON', async () => {
    const none = await s.app.inject({ method: 'GET', url: '/v1/monitors' });
    assert.equal(none.statusCode, 401);
    assert.equal(JSON.parse(none.body).error.code, 'unauthorized');
    const wrong = await s.api('GET', '/v1/monitors', undefined, 'odk_wrong_key_wrong_key_wrong_key');
    assert.equal(wrong.status, 401);
  });

  it('returns the key\'s project with its ping key', async () => {
    const r = await s.api('GET', '/v1/project');
    assert.equal(r.status, 200);
    assert.match(r.json.id, /^prj_/);
    assert.equal(r.json.name, 'Default');
    assert.match(r.json.ping_key, /^pk_/);
  });

  it('lets a read-only key read but not write (403)', async () => {
    const created = await s.api('POST', '/v1/keys', { read_only: true, name: 'ro' });
    assert.equal(created.status, 201);
    assert.match(created.json.key, /^odk_[A-Za-z0-9_-]{43}$/);
    const ro = created.json.key;
    assert.equal((await s.api('GET', '/v1/monitors', undefined, ro)).status, 200);
    const w = await s.api('POST', '/v1/monitors', { name: 'x', expected_interval_sec: 60 }, ro);
    assert.equal(w.status, 403);
    assert.equal(w.json.error.code, 'forbidden');
    const bare = await s.app.inject({ method: 'POST', url: '/v1/keys', headers: { authorization: `Bearer ${TEST_KEY}` } });
    assert.equal(bare.statusCode, 201, 'a key can be created without a body');
    const keys = (await s.api('GET', '/v1/keys')).json.items;
    assert.ok(keys.some((k: { name: string; read_only: boolean }) => k.name === 'ro' && k.read_only));
    assert.ok(keys.every((k: Record<string, unknown>) => !('key' in k) && !('hash' in k)), 'secrets are never listed');
  });

  it('revokes a key, which then gets 401, and refuses to revoke the last read-write key', async () => {
    const created = (await s.api('POST', '/v1/keys', { name: 'temp' })).json;
    assert.equal((await s.api('GET', '/v1/project', undefined, created.key)).status, 200);
    assert.equal((await s.api('DELETE', `/v1/keys/${created.id}`)).status, 204);
    assert.equal((await s.api('GET', '/v1/project', undefined, created.key)).status, 401);
    assert.equal((await s.api('DELETE', `/v1/keys/${created.id}`)).status, 404);
    const keys = (await s.api('GET', '/v1/keys')).json.items as { id: string; name: string; read_only: boolean }[];
    for (const k of keys.filter((k) => !k.read_only && k.name !== 'admin')) assert.equal((await s.api('DELETE', `/v1/keys/${k.id}`)).status, 204);
    const admin = keys.find((k) => k.name === 'admin')!;
    const last = await s.api('DELETE', `/v1/keys/${admin.id}`);
    assert.equal(last.status, 409);
    assert.equal((await s.api('GET', '/v1/project')).status, 200);
  });

  it('never shows one project\'s monitors to another project\'s key', async () => {
    const mine = (await s.api('POST', '/v1/monitors', { name: 'mine', expected_interval_sec: 60 })).json;
    const other = await createProject(s.store, s.clock, 'Other');
    const { secret } = await createApiKey(s.store, s.clock, other.id);
    assert.equal((await s.api('GET', '/v1/monitors', undefined, secret)).json.total, 0);
    assert.equal((await s.api('GET', `/v1/monitors/${mine.id}`, undefined, secret)).status, 404);
    assert.equal((await s.api('PATCH', `/v1/monitors/${mine.id}`, { name: 'stolen' }, secret)).status, 404);
    assert.equal((await s.api('DELETE', `/v1/monitors/${mine.id}`, undefined, secret)).status, 404);
    assert.equal((await s.api('GET', `/v1/monitors/${mine.id}/pings`, undefined, secret)).status, 404);
    assert.equal((await s.api('GET', `/v1/monitors/${mine.id}`, undefined, TEST_KEY)).json.name, 'mine');
  });
});

describe('bootstrap', () => {
  it('creates a default project and prints a random admin key once when no key is configured', async () => {
    const s = await startTestServer({ OVERDUE_BOOTSTRAP_API_KEY: '' });
    try {
      const secret = s.bootstrapped?.printableSecret;
      assert.ok(secret && secret.startsWith('odk_'));
      assert.equal((await s.api('GET', '/v1/project', undefined, secret)).status, 200);
    } finally {
      await s.close();
    }
  });

  it('uses OVERDUE_BOOTSTRAP_API_KEY and does not print it', async () => {
    const s = await startTestServer();
    try {
      assert.equal(s.bootstrapped?.printableSecret, null);
      assert.equal((await s.api('GET', '/v1/project')).status, 200);
    } finally {
      await s.close();
    }
  });

  it('refuses a bootstrap key shorter than 20 characters', async () => {
    await assert.rejects(startTestServer({ OVERDUE_BOOTSTRAP_API_KEY: 'short' }), /OVERDUE_BOOTSTRAP_API_KEY/);
  });
});

describe('bootstrap on an existing database', () => {
  it('adds a newly configured bootstrap key to the existing project instead of refusing to start', async () => {
    const first = await startTestServer({ OVERDUE_BOOTSTRAP_API_KEY: '' });
    const created = (await first.api('POST', '/v1/monitors', { name: 'old', expected_interval_sec: 60 }, first.bootstrapped!.printableSecret!)).json;
    await first.stop();
    const { startServer } = await import('../../src/runtime/server.js');
    const { loadConfig } = await import('../../src/config/config.js');
    const { silentLogger } = await import('../../src/runtime/logger.js');
    const key = 'odk_added_later_0123456789abcdefghij';
    const second = await startServer(loadConfig({ DATABASE_URL: `sqlite://${first.dir}/overdue.db`, OVERDUE_BOOTSTRAP_API_KEY: key, LOG_LEVEL: 'silent' }), { logger: silentLogger, listen: false, runScheduler: false });
    try {
      const r = await second.app.inject({ method: 'GET', url: `/v1/monitors/${created.id}`, headers: { authorization: `Bearer ${key}` } });
      assert.equal(r.statusCode, 200);
      assert.equal(second.bootstrapped?.printableSecret, null);
    } finally {
      await second.stop();
      await first.close();
    }
  });
});
