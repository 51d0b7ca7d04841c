/**
 * GET /v1/project shows the project's Sentry DSN (public key = the ping key in hex, project id = 9 digits derived
 * from the project id) and Cronitor base URL, both under OVERDUE_BASE_URL; a DSN reaches only its own project.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createApiKey, createProject } from '../../src/app/keys.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { checkIn, envelope, sentryProject } from '../helpers/sentry.js';

describe('project settings for Sentry and Cronitor clients', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ OVERDUE_BASE_URL: 'https://mon.example.com/overdue/' });
  });
  after(() => s.close());

  it('shows a DSN whose key is the ping key in hex and whose project id is numeric, under the base URL and its path', async () => {
    const p = (await s.api('GET', '/v1/project')).json;
    const match = /^https:\/\/([0-9a-f]+)@mon\.example\.com\/overdue\/(\d{9})$/.exec(p.sentry_dsn);
    assert.ok(match, p.sentry_dsn);
    assert.equal(Buffer.from(match[1] ?? '', 'hex').toString('utf8'), p.ping_key);
    assert.equal(p.cronitor_base_url, 'https://mon.example.com/overdue/cronitor');
    assert.equal((await s.api('GET', '/v1/project')).json.sentry_dsn, p.sentry_dsn, 'stable');
  });

  it("gives each project its own DSN, which reaches only that project's monitors", async () => {
    const other = await createProject(s.store, s.clock, 'Other team');
    const { secret } = await createApiKey(s.store, s.clock, other.id);
    const mine = await sentryProject(s);
    const theirs = (await s.api('GET', '/v1/project', undefined, secret)).json;
    assert.notEqual(theirs.sentry_dsn, mine.dsn);
    const theirDsn = new URL(theirs.sentry_dsn);
    const theirId = theirDsn.pathname.split('/').at(-1);
    assert.notEqual(theirId, mine.projectId);

    await s.api('POST', '/v1/monitors', { name: 'shared-name', expected_interval_sec: 3600 });
    const body = envelope({}, [checkIn('shared-name', 'ok')]);
    const mixed = await s.app.inject({ method: 'POST', url: `/api/${theirId}/envelope/?sentry_key=${mine.publicKey}`, payload: body });
    assert.equal(mixed.statusCode, 403, "my key with their project id");
    const theirs200 = await s.app.inject({ method: 'POST', url: `/api/${theirId}/envelope/?sentry_key=${theirDsn.username}`, payload: body });
    assert.equal(theirs200.statusCode, 200);
    assert.equal((await s.store.getMonitorBySlug(mine.pingKey, 'shared-name'))?.state, 'pending', "their check-in did not reach my monitor");
    const ok = await s.app.inject({ method: 'POST', url: `/api/${mine.projectId}/envelope/?sentry_key=${mine.publicKey}`, payload: body });
    assert.equal(ok.statusCode, 200);
    assert.equal((await s.store.getMonitorBySlug(mine.pingKey, 'shared-name'))?.state, 'up');
  });
});
