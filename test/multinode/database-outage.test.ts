/**
 * A node whose PostgreSQL database goes away and comes back: it keeps running, answers 503 meanwhile (readiness
 * too, while liveness stays 200), reconnects by itself, and its scheduler catches up on the deadline that passed
 * during the outage, alerting once. The outage is played by a TCP proxy in front of the database (the shared
 * server itself is never restarted).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { silentLogger } from '../../src/runtime/logger.js';
import { startServer, type RunningServer } from '../../src/runtime/server.js';
import { startReceiver, type Receiver } from '../helpers/http-receiver.js';
import { freshSchema, skipWithoutPostgres, TEST_DATABASE_URL, type TestSchema } from '../helpers/postgres.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

const KEY = 'odk_outage_test_key_0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('a node riding out a database outage', { skip: skipWithoutPostgres, timeout: 60_000 }, () => {
  let schema: TestSchema;
  let proxy: TcpProxy;
  let server: RunningServer;
  let hook: Receiver;
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(server.url + path, {
      method,
      headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null, headers: res.headers };
  };
  const alerts = (event: string) => hook.received.filter((r) => r.json?.event === event);

  before(async () => {
    schema = await freshSchema();
    const target = new URL(TEST_DATABASE_URL ?? '');
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(schema.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    hook = await startReceiver();
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: viaProxy.toString(),
      OVERDUE_BOOTSTRAP_API_KEY: KEY,
      OVERDUE_ALLOW_PRIVATE_TARGETS: 'true',
      LOG_LEVEL: 'silent',
    });
    server = await startServer(config, { logger: silentLogger });
  });
  after(async () => {
    await server?.stop();
    await hook?.close();
    await proxy?.close();
    await schema?.drop();
  });

  it('answers 503 while the database is down, reconnects, and alerts once for the deadline missed meanwhile', async () => {
    const channel = await api('POST', '/v1/channels', { name: 'hook', kind: 'webhook', config: { url: hook.url('/hook') } });
    assert.equal(channel.status, 201, JSON.stringify(channel.json));
    assert.equal((await api('PATCH', '/v1/notification-lists/default', { channels: [channel.json.id] })).status, 200);
    const monitor = (await api('POST', '/v1/monitors', { name: 'nightly', expected_interval_sec: 2, grace_seconds: 1 })).json;
    assert.equal((await fetch(`${server.url}/v1/ping/${monitor.ping_token}`)).status, 200);
    const downAt = Date.now() + 3_000; // expected 2 s after the ping, down 1 s after that

    proxy.cut();
    const ping = await fetch(`${server.url}/v1/ping/${monitor.ping_token}`);
    assert.equal(ping.status, 503);
    assert.equal(((await ping.json()) as { error: { code: string } }).error.code, 'unavailable');
    const listed = await api('GET', '/v1/monitors');
    assert.equal(listed.status, 503);
    assert.equal(listed.headers.get('retry-after'), '1');
    assert.equal((await fetch(`${server.url}/readyz`)).status, 503);
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200, 'alive: restarting the process would not bring the database back');
    assert.equal(((await health.json()) as { database_reachable: boolean }).database_reachable, false);

    await sleep(Math.max(0, downAt - Date.now()) + 500); // the deadline passes while the database is away
    assert.equal(alerts('on_down').length, 0);
    proxy.restore();

    await until(async () => (await fetch(`${server.url}/readyz`)).status === 200, 'readiness', 5_000);
    await until(() => alerts('on_down').length > 0, 'the missed deadline\'s alert', 8_000);
    assert.equal((await api('GET', `/v1/monitors/${monitor.id}`)).json.state, 'down');
    assert.equal((await fetch(`${server.url}/v1/ping/${monitor.ping_token}`)).status, 200);
    await until(() => alerts('on_recovery').length > 0, 'the recovery alert', 5_000);
    await sleep(500);
    assert.equal(alerts('on_down').length, 1);
    assert.equal(alerts('on_recovery').length, 1);
  });
});
