/**
 * Acceptance: the real `cronitor` npm package (2.6.1) against a listening server on 127.0.0.1. Its hosts are
 * hard-coded (https://cronitor.link, https://cronitor.io), so — as docs/migrating-from-cronitor.md tells users —
 * an axios request interceptor rewrites both to `<base URL>/cronitor`; everything else is the client's own code.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import cronitorFactory from 'cronitor';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

describe('cronitor npm client against Overdue', () => {
  let s: TestServer;
  let cronitor: ReturnType<typeof cronitorFactory>;
  before(async () => {
    s = await startTestServer({}, { listen: true });
    const base = `${s.url}/cronitor`;
    cronitor = cronitorFactory(TEST_KEY, { environment: 'staging', timeout: 5000 });
    cronitor._api.axios.interceptors.request.use((cfg: { url?: string; proxy?: false }) => {
      cfg.url = cfg.url?.replace(/^https:\/\/(eu\.)?cronitor\.(link|io)/, base);
      cfg.proxy = false; // 127.0.0.1 only, whatever the environment says
      return cfg;
    });
  });
  after(() => s.close());

  const native = async (key: string) => {
    const item = ((await s.api('GET', '/v1/monitors?limit=500')).json.items as { key: string; id: string }[]).find((m) => m.key === key);
    assert.ok(item, `monitor ${key} exists`);
    return (await s.api('GET', `/v1/monitors/${item.id}`)).json;
  };
  const pings = async (id: string) => (await s.api('GET', `/v1/monitors/${id}/pings?limit=50`)).json.items.reverse();

  it('drives run, complete (message, metrics), fail, ok and a heartbeat tick through monitor.ping()', async () => {
    assert.equal((await s.api('POST', '/v1/monitors', { name: 'nightly-backup', schedule: '0 2 * * *' })).status, 201);
    const m = new cronitor.Monitor('nightly-backup');
    assert.equal(await m.ping({ state: 'run', series: 'abc123' }), true);
    assert.equal((await native('nightly-backup')).state, 'running');
    assert.equal(await m.ping({ state: 'complete', series: 'abc123', message: 'done: 5 rows & more', metrics: { duration: 12.3, count: 5, error_count: 0 } }), true);
    assert.equal((await native('nightly-backup')).state, 'up');
    assert.equal(await m.ping({ state: 'fail', message: 'exit status 1', host: 'worker-1', env: 'prod' }), true);
    assert.equal((await native('nightly-backup')).state, 'down');
    assert.equal(await m.ok(), true);
    const after = await native('nightly-backup');
    assert.equal(after.state, 'up');

    const list = await pings(after.id);
    assert.deepEqual(list.map((p: { kind: string }) => p.kind), ['start', 'success', 'fail', 'ok']);
    const complete = list[1];
    assert.deepEqual([complete.source, complete.user_agent, complete.series, complete.msg, complete.env], ['cronitor', 'cronitor-js', 'abc123', 'done: 5 rows & more', 'staging']);
    assert.deepEqual(complete.metrics, [{ name: 'duration', value: 12.3 }, { name: 'count', value: 5 }, { name: 'error_count', value: 0 }]);
    assert.deepEqual([list[2].host, list[2].env, list[2].msg], ['worker-1', 'prod', 'exit status 1']);

    const beat = new cronitor.Monitor('queue-heartbeat');
    assert.equal(await beat.ping(), true);
    assert.deepEqual([(await native('queue-heartbeat')).type, (await native('queue-heartbeat')).state], ['heartbeat', 'up'], 'auto-created from a tick');
  });

  it('reports a wrapped function\'s run and completion (and a thrown error as fail) with one series', async () => {
    assert.equal(await cronitor.wrap('wrapped-job', async () => 'output')(), 'output');
    const ok = await native('wrapped-job');
    assert.deepEqual([ok.type, ok.state], ['job', 'up']);
    const [run, complete] = await pings(ok.id);
    assert.deepEqual([run.kind, complete.kind, complete.msg], ['start', 'success', 'output']);
    assert.equal(run.series, complete.series);
    assert.match(run.series, /^[0-9a-f]{8}$/);
    const runs = (await s.api('GET', `/v1/monitors/${ok.id}/runs`)).json.items;
    assert.deepEqual(runs.map((r: { outcome: string; run_id: string }) => [r.outcome, r.run_id]), [['success', run.series]]);

    await cronitor.wrap('wrapped-failure', async () => {
      throw new Error('boom');
    })();
    const failed = await native('wrapped-failure');
    assert.equal(failed.state, 'down');
    assert.equal((await pings(failed.id))[1].msg, 'Error: boom');
  });

  it('creates and updates monitors with Monitor.put (JSON), reads, pauses and deletes them', async () => {
    const created = await cronitor.Monitor.put({ type: 'job', key: 'send-invoices', schedule: '0 0 * * *', assertions: ['metric.duration < 5 min'], notify: ['default'], grace_seconds: 120 });
    assert.ok(!Array.isArray(created));
    assert.deepEqual([created.key, created.data.schedule, created.data.grace_seconds, created.data.assertions], ['send-invoices', '0 0 * * *', 120, ['metric.duration < 5 min']]);
    const both = await cronitor.Monitor.put([{ key: 'send-invoices', schedule: '0 1 * * *' }, { key: 'sync-crm', type: 'heartbeat', schedule: 'every 15 minutes' }]);
    assert.ok(Array.isArray(both));
    assert.deepEqual(both.map((m) => [m.key, m.data.schedule]), [['send-invoices', '0 1 * * *'], ['sync-crm', 'every 15 minutes']]);
    assert.equal((await native('send-invoices')).grace_seconds, 120, 'an update keeps what it does not send');

    const m = new cronitor.Monitor('send-invoices');
    const data = await m.loadData();
    assert.equal(data.key, 'send-invoices');
    assert.equal(await m.pause(2), true);
    assert.equal((await native('send-invoices')).state, 'paused');
    assert.equal(await m.unpause(), true);
    assert.notEqual((await native('send-invoices')).state, 'paused');
    assert.equal(await m.delete(), true);
    assert.equal((await s.api('GET', '/v1/monitors?limit=500')).json.items.some((x: { key: string }) => x.key === 'send-invoices'), false);

    await assert.rejects(cronitor.Monitor.put({ key: 'bad-schedule', schedule: 'every blue moon' }), (e: Error) => e.name === 'MonitorNotCreated' || /400/.test(e.message));
  });

  it('applies and validates a YAML config file with applyConfig / validateConfig', async (t) => {
    t.mock.method(console, 'log', () => undefined); // the client prints "Cronitor config applied successfully."
    const path = join(s.dir, 'cronitor.yaml');
    await writeFile(path, ['jobs:', '  yaml-report:', '    schedule: "0 6 * * 1-5"', '    timezone: Europe/Berlin', '    note: weekday report', 'heartbeats:', '  yaml-worker:', '    schedule: every 5 minutes', ''].join('\n'));
    const total = async () => (await s.api('GET', '/v1/monitors?limit=1')).json.total as number;
    const before = await total();
    assert.equal(await cronitor.validateConfig({ path }), true);
    assert.equal(await total(), before, 'validation saves nothing');
    assert.equal(await cronitor.applyConfig({ path }), true);
    assert.equal(await total(), before + 2);
    const report = await native('yaml-report');
    assert.deepEqual([report.schedule, report.timezone, report.note, (await native('yaml-worker')).type], ['0 6 * * 1-5', 'Europe/Berlin', 'weekday report', 'heartbeat']);
    // The reply is YAML the client parses back (Monitor.putYaml returns it).
    const echoed = await cronitor.Monitor.put(cronitor.config, { format: 'yaml' });
    assert.equal((echoed as unknown as { jobs: Record<string, { note: string }> }).jobs['yaml-report']?.note, 'weekday report');

    const exported = join(s.dir, 'exported.yaml');
    assert.equal(await cronitor.generateConfig({ path: exported }), true);
    await cronitor.readConfig({ path: exported });
    assert.ok(cronitor.config.jobs['yaml-report'] && cronitor.config.heartbeats['yaml-worker']);
  });
});
