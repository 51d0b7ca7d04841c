/**
 * POST /api/:project_id/envelope/ over real sockets, in the shapes Sentry's clients send: chunked with no
 * Content-Length or Content-Type and the key in the query (JS SDK), gzip or deflate bodies, `X-Sentry-Auth` with
 * `length` item headers and a trailing newline (sentry-cli), the key in the envelope's `dsn` header (tunnel), other
 * item types mixed in; and the refusals Relay gives (401, 403, 400).
 */
import assert from 'node:assert/strict';
import { deflateSync, gzipSync } from 'node:zlib';
import { after, before, describe, it } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { checkIn, envelope, randomHex, rawRequest, sentryProject, type SentryProject } from '../helpers/sentry.js';

describe('Sentry envelope endpoint', () => {
  let s: TestServer;
  let p: SentryProject;
  before(async () => {
    s = await startTestServer({}, { listen: true });
    p = await sentryProject(s);
  });
  after(() => s.close());

  const url = (query = `?sentry_version=7&sentry_key=${p.publicKey}&sentry_client=sentry.javascript.node%2F11.12.0`, projectId = p.projectId) => `${s.url}/api/${projectId}/envelope/${query}`;
  const bySlug = async (key: string) => s.store.getMonitorBySlug(p.pingKey, key);
  const monitor = async (key: string) => {
    const m = await bySlug(key);
    assert.ok(m, `monitor ${key} exists`);
    return (await s.api('GET', `/v1/monitors/${m.id}`)).json;
  };
  const runs = async (key: string) => {
    const m = await bySlug(key);
    assert.ok(m, `monitor ${key} exists`);
    return (await s.api('GET', `/v1/monitors/${m.id}/runs`)).json.items;
  };
  const pings = async (key: string) => {
    const m = await bySlug(key);
    assert.ok(m, `monitor ${key} exists`);
    return (await s.api('GET', `/v1/monitors/${m.id}/pings`)).json.items.reverse();
  };
  const create = async (key: string) => {
    const r = await s.api('POST', '/v1/monitors', { name: key, key, schedule: '0 * * * *' });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  const config = { schedule: { type: 'crontab', value: '*/5 * * * *' }, checkin_margin: 2, max_runtime: 10, timezone: 'Europe/Berlin', failure_issue_threshold: 3, recovery_threshold: 2 };
  const sdkHeader = { sent_at: '2026-01-05T10:00:00.000Z', sdk: { name: 'sentry.javascript.node', version: '11.12.0' }, trace: { environment: 'production', public_key: 'x', trace_id: randomHex() } };

  it('takes the JS SDK shape: chunked, no Content-Type, key in the query, items without length; answers 200 {}', async () => {
    const id = randomHex();
    const start = await rawRequest(url(), { chunked: true, body: envelope(sdkHeader, [checkIn('sdk-job', 'in_progress', { check_in_id: id, release: 'myapp@1.2.3', environment: 'production', monitor_config: config })]) });
    assert.equal(start.status, 200, start.body);
    assert.deepEqual(JSON.parse(start.body), {});
    assert.match(String(start.headers['content-type']), /^application\/json/);
    assert.equal((await monitor('sdk-job')).state, 'running');

    s.clock.advance(12);
    const done = await rawRequest(url(), { chunked: true, body: envelope(sdkHeader, [checkIn('sdk-job', 'ok', { check_in_id: id, duration: 12.5, release: 'myapp@1.2.3' })]) });
    assert.equal(done.status, 200, done.body);
    const m = await monitor('sdk-job');
    assert.equal(m.state, 'up');
    assert.equal(m.last_duration, 12.5);
    const [run] = await runs('sdk-job');
    assert.deepEqual([run.run_id, run.outcome, run.duration], [id, 'success', 12.5]);
    const got = await pings('sdk-job');
    assert.deepEqual(got.map((x: any) => [x.kind, x.source, x.series, x.env, x.release]), [
      ['start', 'sentry', id, 'production', 'myapp@1.2.3'],
      ['success', 'sentry', id, null, 'myapp@1.2.3'],
    ]);
  });

  it('reads gzip and deflate bodies', async () => {
    await create('gzip-job');
    const gz = await rawRequest(url(), { chunked: true, headers: { 'content-encoding': 'gzip' }, body: gzipSync(envelope(sdkHeader, [checkIn('gzip-job', 'error')])) });
    assert.equal(gz.status, 200, gz.body);
    assert.equal((await monitor('gzip-job')).state, 'down');
    const df = await rawRequest(url(), { headers: { 'content-encoding': 'deflate' }, body: deflateSync(envelope(sdkHeader, [checkIn('gzip-job', 'ok')])) });
    assert.equal(df.status, 200, df.body);
    assert.equal((await monitor('gzip-job')).state, 'up');
  });

  it('refuses an encoding it cannot read (415) and a corrupt gzip body (400)', async () => {
    const zstd = await rawRequest(url(), { headers: { 'content-encoding': 'zstd' }, body: Buffer.from('xx') });
    assert.equal(zstd.status, 415);
    assert.match(JSON.parse(zstd.body).detail, /zstd/);
    const bad = await rawRequest(url(), { headers: { 'content-encoding': 'gzip' }, body: Buffer.from('not gzip') });
    assert.equal(bad.status, 400);
  });

  it('takes the sentry-cli shape: X-Sentry-Auth, an empty header, length in item headers, a trailing newline', async () => {
    await create('cli-job');
    const id = randomHex();
    const auth = `Sentry sentry_key=${p.publicKey}, sentry_version=7, sentry_timestamp=1795343527.83, sentry_client=sentry-cli/x86_64`;
    const send = (status: string, extra: Record<string, unknown> = {}) =>
      rawRequest(url(''), { headers: { 'x-sentry-auth': auth, 'user-agent': 'sentry-cli/3.8.0' }, body: envelope({}, [{ ...checkIn('cli-job', status, { check_in_id: id, environment: 'production', ...extra }), withLength: true }], true) });
    assert.equal((await send('in_progress')).status, 200);
    s.clock.advance(1);
    assert.equal((await send('error', { duration: 0.205757868 })).status, 200);
    const [run] = await runs('cli-job');
    assert.deepEqual([run.run_id, run.outcome, run.duration, run.failure_kind], [id, 'failed', 0.205757868, 'fail']);
    assert.equal((await monitor('cli-job')).state, 'down');
    assert.equal((await pings('cli-job'))[0].user_agent, 'sentry-cli/3.8.0');
  });

  it('takes the key from the envelope header dsn (tunnel), and a payload holding a newline when length is given', async () => {
    await create('tunnel-job');
    const dsnHeader = { ...sdkHeader, dsn: `http://${p.publicKey}@127.0.0.1:9/${p.projectId}` };
    const r = await rawRequest(url(''), { body: envelope(dsnHeader, [checkIn('tunnel-job', 'ok')]) });
    assert.equal(r.status, 200, r.body);
    assert.equal((await monitor('tunnel-job')).state, 'up');

    const payload = `{"check_in_id":"${randomHex()}",\n"monitor_slug":"tunnel-job","status":"error"}`;
    const framed = Buffer.from(`{}\n{"type":"check_in","length":${Buffer.byteLength(payload)}}\n${payload}`);
    const r2 = await rawRequest(url(''), { headers: { 'x-sentry-auth': `Sentry sentry_key=${p.publicKey}` }, body: framed });
    assert.equal(r2.status, 200, r2.body);
    assert.equal((await monitor('tunnel-job')).state, 'down');
  });

  it('ignores other item types, alone or around check-ins, and records the check-ins in order', async () => {
    await create('mixed-job');
    const id = randomHex();
    const r = await rawRequest(url(), {
      body: envelope(sdkHeader, [
        { type: 'span', payload: { items: [] }, headers: { item_count: 1, content_type: 'application/vnd.sentry.items.span.v2+json' } },
        checkIn('mixed-job', 'in_progress', { check_in_id: id }),
        { type: 'event', payload: { event_id: randomHex(), message: 'boom' } },
        checkIn('mixed-job', 'ok', { check_in_id: id }),
        { type: 'attachment', payload: 'raw bytes, not JSON', withLength: true },
      ]),
    });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual((await runs('mixed-job')).map((x: any) => [x.run_id, x.outcome]), [[id, 'success']]);

    const report = await rawRequest(url(), { body: envelope({}, [{ type: 'client_report', payload: { discarded_events: [{ reason: 'ratelimit_backoff', category: 'monitor', quantity: 1 }] } }]) });
    assert.equal(report.status, 200, report.body);
    assert.deepEqual(JSON.parse(report.body), {});
    const withEvent = await rawRequest(url(), { body: envelope({ event_id: '9ec79c33ec9942ab8353589fcb2e04dc' }, [{ type: 'event', payload: {} }]) });
    assert.deepEqual(JSON.parse(withEvent.body), { id: '9ec79c33ec9942ab8353589fcb2e04dc' });
  });

  it('skips an invalid check-in item but records the valid ones beside it', async () => {
    await create('partly-job');
    const r = await rawRequest(url(), {
      body: envelope(sdkHeader, [checkIn('partly-job', 'missed'), { type: 'check_in', payload: 'not json' }, checkIn('partly-job', 'ok', { duration: -1 }), checkIn('partly-job', 'error')]),
    });
    assert.equal(r.status, 200, r.body);
    assert.deepEqual((await pings('partly-job')).map((x: any) => x.kind), ['fail']);
  });

  it('ignores a check-in for an unknown slug without monitor_config, as Sentry does, and still answers 200', async () => {
    const before = (await s.api('GET', '/v1/monitors?limit=200')).json.total;
    const r = await rawRequest(url(), { body: envelope(sdkHeader, [checkIn('nobody-knows-me', 'ok')]) });
    assert.equal(r.status, 200);
    assert.equal(await bySlug('nobody-knows-me'), null);
    assert.equal((await s.api('GET', '/v1/monitors?limit=200')).json.total, before);
  });

  it('records an in_progress that arrives after its own ok as a log ping, leaving no run open', async () => {
    await create('fast-job');
    const id = randomHex();
    await rawRequest(url(), { body: envelope(sdkHeader, [checkIn('fast-job', 'ok', { check_in_id: id, duration: 0.001 })]) });
    await rawRequest(url(), { body: envelope(sdkHeader, [checkIn('fast-job', 'in_progress', { check_in_id: id })]) });
    const m = await monitor('fast-job');
    assert.deepEqual([m.state, m.running], ['up', 0]);
    assert.deepEqual((await pings('fast-job')).map((x: any) => x.kind), ['success', 'log']);
    assert.equal((await runs('fast-job')).length, 1);
  });

  it('accepts the ping key itself as sentry_key', async () => {
    await create('raw-key-job');
    const r = await rawRequest(url(`?sentry_key=${p.pingKey}`), { body: envelope({}, [checkIn('raw-key-job', 'ok')]) });
    assert.equal(r.status, 200, r.body);
    assert.equal((await monitor('raw-key-job')).state, 'up');
  });

  it('refuses as Relay does: no key 401, unknown key or another project id 403, a non-numeric project id 400', async () => {
    await create('guarded-job');
    const body = envelope(sdkHeader, [checkIn('guarded-job', 'ok')]);
    const none = await rawRequest(url(''), { body });
    assert.equal(none.status, 401);
    assert.deepEqual(JSON.parse(none.body), { detail: 'missing authorization information' });
    const unknown = await rawRequest(url(`?sentry_key=${'ab'.repeat(16)}`), { body });
    assert.equal(unknown.status, 403);
    assert.match(JSON.parse(unknown.body).detail, /ProjectId/);
    const otherProject = await rawRequest(url(`?sentry_key=${p.publicKey}`, p.projectId === '123456789' ? '987654321' : '123456789'), { body });
    assert.equal(otherProject.status, 403);
    const nonNumeric = await rawRequest(url(`?sentry_key=${p.publicKey}`, 'my-project'), { body });
    assert.equal(nonNumeric.status, 400);
    assert.deepEqual(JSON.parse(nonNumeric.body), { detail: 'bad project path parameter' });
    assert.equal((await monitor('guarded-job')).state, 'pending', 'nothing was recorded');
  });

  it('answers 400 for a body that is not an envelope', async () => {
    for (const body of [Buffer.from('not json\n{}'), Buffer.from('{}\n{"type":"check_in","length":500}\n{}'), Buffer.from('{}\n[1]\n{}'), Buffer.alloc(0)]) {
      const r = await rawRequest(url(), { body });
      assert.equal(r.status, 400, `${body.toString()} → ${r.body}`);
      assert.equal(JSON.parse(r.body).detail, 'invalid event envelope');
    }
  });
});
