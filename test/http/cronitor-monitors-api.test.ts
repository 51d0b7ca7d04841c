/**
 * Cronitor's Monitor API under /cronitor/api/monitors, as curl would call it: Basic `KEY:` auth, attributes in and
 * out, bulk PUT in its three shapes (all or nothing, rollback), paging, pause, and errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { createApiKey } from '../../src/app/keys.js';
import { upsertMonitors } from '../../src/app/monitors.js';
import type { Store } from '../../src/storage/store.js';
import { startTestServer, TEST_KEY, type TestServer } from '../helpers/server.js';

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;

describe('Cronitor Monitor API (/cronitor/api/monitors)', () => {
  let s: TestServer;
  let projectId: string;
  before(async () => {
    s = await startTestServer();
    projectId = (await s.api('GET', '/v1/project')).json.id;
    assert.equal((await s.api('POST', '/v1/notification-lists', { key: 'devops', name: 'DevOps' })).status, 201);
  });
  after(() => s.close());

  const call = async (method: string, url: string, body?: unknown, options: { type?: string; auth?: string | null } = {}) => {
    const type = options.type ?? 'application/json';
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const headers: Record<string, string> = { ...(payload === undefined ? {} : { 'content-type': type }) };
    if (options.auth !== null) headers.authorization = options.auth ?? basic(TEST_KEY);
    const r = await s.app.inject({ method: method as 'GET', url: `/cronitor/api${url}`, payload, headers });
    let json: any = null;
    try {
      json = r.body ? JSON.parse(r.body) : null;
    } catch {
      json = null;
    }
    return { status: r.statusCode, json, text: r.body, headers: r.headers };
  };
  const native = async (key: string) => {
    const item = ((await s.api('GET', '/v1/monitors?limit=500')).json.items as { key: string; id: string }[]).find((m) => m.key === key);
    return item ? (await s.api('GET', `/v1/monitors/${item.id}`)).json : undefined;
  };
  const count = async () => (await s.api('GET', '/v1/monitors?limit=1')).json.total as number;

  it('authenticates with Basic KEY: or Bearer KEY, answers 401 with a Basic challenge otherwise, and lets read-only keys only read', async () => {
    assert.equal((await call('GET', '/monitors')).status, 200);
    assert.equal((await call('GET', '/monitors', undefined, { auth: `Bearer ${TEST_KEY}` })).status, 200);
    for (const auth of [null, basic('odk_wrong_key_0123456789'), 'Basic !!!', `Basic ${Buffer.from(`:${'x'.repeat(30)}`).toString('base64')}`]) {
      const r = await call('GET', '/monitors', undefined, { auth });
      assert.equal(r.status, 401, String(auth));
      assert.equal(r.json.error.code, 'unauthorized');
      assert.equal(r.headers['www-authenticate'], 'Basic realm="Overdue"');
    }
    const ro = await createApiKey(s.store, s.clock, projectId, { readOnly: true });
    await call('POST', '/monitors', { key: 'ro-target', type: 'job', schedule: '0 * * * *' });
    assert.equal((await call('GET', '/monitors/ro-target', undefined, { auth: basic(ro.secret) })).status, 200);
    assert.equal((await call('PUT', '/monitors', [{ key: 'ro-new', schedule: '0 * * * *' }], { auth: basic(ro.secret) })).status, 403);
    assert.equal((await call('GET', '/monitors/ro-target/pause/1', undefined, { auth: basic(ro.secret) })).status, 403, 'a pausing GET is a write');
    assert.equal((await call('DELETE', '/monitors/ro-target', undefined, { auth: basic(ro.secret) })).status, 403);
  });

  it('creates a monitor with every Cronitor attribute (201) and shows it as Cronitor does', async () => {
    const r = await call('POST', '/monitors', {
      type: 'job', key: 'nightly-backup-job', name: 'Nightly backup', note: 'Restore from the snapshot first', schedule: 'at 14:30', timezone: 'Europe/Berlin',
      grace_seconds: 300, assertions: ['metric.duration < 15min'], notify: ['devops'], tags: ['db'], group: 'backups', metadata: { backoffLimit: 3 },
      platform: 'kubernetes', realert_interval: 'every 2 hours', schedule_tolerance: 1, failure_tolerance: 2, paused: true,
      created: '2020-01-01T00:00:00Z', passing: false, request: { url: 'https://example.com' },
    });
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json, {
      key: 'nightly-backup-job', name: 'Nightly backup', defaultName: null, type: 'job', schedule: 'at 14:30', timezone: 'Europe/Berlin', grace_seconds: 300,
      assertions: ['metric.duration < 15min'], notify: ['devops'], tags: ['db'], group: 'backups', note: 'Restore from the snapshot first', defaultNote: null,
      metadata: { backoffLimit: 3 }, platform: 'kubernetes', paused: true, realert_interval: '2 hours', schedule_tolerance: 1, failure_tolerance: 2,
      created: s.clock.now().toISOString(), disabled: false, initialized: false, passing: true, running: false,
    });
    const m = await native('nightly-backup-job');
    assert.deepEqual([m.state, m.note, m.group, m.platform, m.metadata, m.realert_interval], ['paused', 'Restore from the snapshot first', 'backups', 'kubernetes', { backoffLimit: 3 }, 7200]);
    const again = await call('POST', '/monitors', { key: 'nightly-backup-job', schedule: '0 0 * * *' });
    assert.equal(again.status, 409);
    assert.equal(again.json.error.field, 'key');
  });

  it('reads, updates (renaming with a new key), pauses, resumes and deletes a monitor by key', async () => {
    await call('POST', '/monitors', { key: 'report', type: 'heartbeat', schedule: 'every 5 minutes' });
    const got = await call('GET', '/monitors/report');
    assert.deepEqual([got.status, got.json.type, got.json.schedule, got.json.grace_seconds], [200, 'heartbeat', 'every 5 minutes', 60]);
    const changed = await call('PUT', '/monitors/report', { schedule: '5 * * * *', key: 'hourly-report', tags: ['reports'], paused: true });
    assert.deepEqual([changed.status, changed.json.key, changed.json.schedule, changed.json.tags, changed.json.paused], [200, 'hourly-report', '5 * * * *', ['reports'], true]);
    assert.equal((await call('GET', '/monitors/report')).status, 404);
    const paused = await call('GET', '/monitors/hourly-report/pause/24');
    assert.equal(paused.json.paused, true);
    assert.equal((await native('hourly-report')).paused_until, new Date(s.clock.now().getTime() + 24 * 3_600_000).toISOString());
    assert.equal((await call('GET', '/monitors/hourly-report/pause/0')).json.paused, false);
    assert.equal((await call('GET', '/monitors/hourly-report/pause')).json.paused, true);
    assert.equal((await native('hourly-report')).paused_until, null, 'paused until resumed');
    assert.equal((await call('PUT', '/monitors/hourly-report', { paused: false })).json.paused, false);
    const deleted = await call('DELETE', '/monitors/hourly-report');
    assert.deepEqual([deleted.status, deleted.text], [204, '']);
    const missing = await call('GET', '/monitors/hourly-report');
    assert.deepEqual([missing.status, missing.json.error.code], [404, 'not_found']);
    assert.equal((await call('PUT', '/monitors/hourly-report', { schedule: '0 * * * *' })).status, 404);
    assert.equal((await call('GET', '/monitors/hourly-report/pause/abc')).status, 400);
  });

  it('maps the states to passing, running and initialized', async () => {
    await call('POST', '/monitors', { key: 'states', schedule: 'every 1 hour' });
    const flags = async () => {
      const m = (await call('GET', '/monitors/states')).json;
      return [m.initialized, m.passing, m.running, m.paused];
    };
    assert.deepEqual(await flags(), [false, true, false, false]);
    await s.app.inject({ method: 'GET', url: `/cronitor/ping/${TEST_KEY}/states?state=run` });
    assert.deepEqual(await flags(), [true, true, true, false]);
    await s.app.inject({ method: 'GET', url: `/cronitor/ping/${TEST_KEY}/states?state=fail` });
    assert.deepEqual(await flags(), [true, false, false, false]);
    await call('GET', '/monitors/states/pause');
    assert.deepEqual(await flags(), [true, false, false, true], 'paused, keeping its failure');
  });

  it('lists monitors in pages: {total_monitor_count, page, page_size, monitors}', async () => {
    const total = (await call('GET', '/monitors')).json.total_monitor_count as number;
    const keys: string[] = [];
    for (let page = 1; page <= Math.ceil(total / 2); page++) {
      const r = (await call('GET', `/monitors?page=${page}&pageSize=2`)).json;
      assert.deepEqual([r.total_monitor_count, r.page, r.page_size], [total, page, 2]);
      assert.ok(r.monitors.length <= 2);
      keys.push(...r.monitors.map((m: { key: string }) => m.key));
    }
    assert.equal(new Set(keys).size, total);
    assert.deepEqual((await call('GET', `/monitors?page=${total + 1}&pageSize=1`)).json.monitors, []);
    assert.equal((await call('GET', '/monitors?page=0')).status, 400);
  });

  it('bulk-creates and updates from {monitors, rollback} and answers {monitors}', async () => {
    await call('POST', '/monitors', { key: 'bulk-existing', schedule: '0 0 * * *', note: 'kept', tags: ['a'] });
    const r = await call('PUT', '/monitors', {
      monitors: [
        { type: 'job', key: 'bulk-new', schedule: '0 0 * * Mon', notify: ['devops'], assertions: ['metric.duration < 30s'] },
        { key: 'bulk-existing', schedule: '0 1 * * *' },
      ],
      rollback: false,
    });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.monitors.map((m: { key: string; schedule: string; note: string | null }) => [m.key, m.schedule, m.note]), [['bulk-new', '0 0 * * Mon', null], ['bulk-existing', '0 1 * * *', 'kept']]);
    assert.deepEqual((await native('bulk-existing')).tags, ['a'], 'attributes not sent are kept');
    assert.deepEqual((await native('bulk-new')).notify.alerts, ['devops']);
  });

  it('takes a bare JSON array as the CLI sends it (schedules, defaultName, platform) and answers an array', async () => {
    const r = await call('PUT', '/monitors?auto-discover=1', [
      { key: 'cli-job', defaultName: '/usr/bin/backup.sh', schedules: ['*/15 * * * *'], type: 'job', platform: 'cron', tags: [], timezone: 'UTC', grace_seconds: 120, notify: ['default'] },
    ]);
    assert.equal(r.status, 200, r.text);
    assert.ok(Array.isArray(r.json));
    assert.deepEqual([r.json[0].key, r.json[0].name, r.json[0].defaultName, r.json[0].schedule, r.json[0].platform], ['cli-job', '/usr/bin/backup.sh', '/usr/bin/backup.sh', '*/15 * * * *', 'cron']);
  });

  it('lets defaultName follow until someone sets the name, and shows defaultNote while no note is set', async () => {
    await call('PUT', '/monitors', [{ key: 'provisioned', schedule: '0 3 * * *', defaultName: 'Backup v1', defaultNote: 'see runbook' }]);
    assert.deepEqual(((await call('GET', '/monitors/provisioned')).json as { name: string; note: string }).name, 'Backup v1');
    await call('PUT', '/monitors', [{ key: 'provisioned', defaultName: 'Backup v2' }]);
    assert.equal((await call('GET', '/monitors/provisioned')).json.name, 'Backup v2');
    await call('PUT', '/monitors/provisioned', { name: 'Our nightly backup' });
    await call('PUT', '/monitors', [{ key: 'provisioned', defaultName: 'Backup v3' }]);
    const m = (await call('GET', '/monitors/provisioned')).json;
    assert.deepEqual([m.name, m.defaultName, m.note, m.defaultNote], ['Our nightly backup', 'Backup v3', 'see runbook', 'see runbook']);
    await call('PUT', '/monitors/provisioned', { note: 'call Ann' });
    assert.equal((await call('GET', '/monitors/provisioned')).json.note, 'call Ann');
  });

  it('applies a YAML config (jobs:, heartbeats:) and answers in YAML; rollback: true only validates', async () => {
    const yaml = [
      'jobs:',
      '  yaml-job:',
      '    schedule: "30 2 * * *"',
      '    timezone: America/New_York',
      '    assertions:',
      '      - metric.duration < 5 min',
      'heartbeats:',
      '  yaml-beat:',
      '    schedule: every 10 minutes',
      '  yaml-bare:',
      'rollback: true',
      '',
    ].join('\n');
    const before = await count();
    const dry = await call('PUT', '/monitors', yaml, { type: 'application/yaml' });
    assert.equal(dry.status, 200, dry.text);
    assert.match(String(dry.headers['content-type']), /^application\/yaml/);
    const echoed = parseYaml(dry.text);
    assert.deepEqual(Object.keys(echoed.jobs), ['yaml-job']);
    assert.deepEqual(Object.keys(echoed.heartbeats), ['yaml-beat', 'yaml-bare']);
    assert.equal(echoed.heartbeats['yaml-bare'].schedule, 'every 1 day', 'no schedule: a ping a day');
    assert.equal(await count(), before, 'rollback: nothing saved');

    const applied = await call('PUT', '/monitors', yaml.replace('rollback: true', 'rollback: false'), { type: 'application/x-yaml' });
    assert.equal(applied.status, 200, applied.text);
    assert.equal(parseYaml(applied.text).jobs['yaml-job'].timezone, 'America/New_York');
    assert.equal(await count(), before + 3);
    assert.deepEqual([(await native('yaml-beat')).type, (await native('yaml-job')).assertions], ['heartbeat', ['metric.duration < 5 min']]);

    const exported = await s.app.inject({ method: 'GET', url: '/cronitor/api/monitors.yaml', headers: { authorization: basic(TEST_KEY) } });
    const doc = parseYaml(exported.body);
    assert.ok(doc.jobs['yaml-job'] && doc.heartbeats['yaml-beat']);
    await call('PUT', '/monitors/yaml-beat', { group: 'edge' });
    const grouped = parseYaml((await s.app.inject({ method: 'GET', url: '/cronitor/api/monitors.yaml?group=edge', headers: { authorization: basic(TEST_KEY) } })).body);
    assert.deepEqual(grouped, { heartbeats: { 'yaml-beat': grouped.heartbeats['yaml-beat'] } });
  });

  it('writes nothing when any monitor of a bulk request is invalid, and names it', async () => {
    await call('POST', '/monitors', { key: 'untouched', schedule: '0 0 * * *' });
    const before = await count();
    const cases: [unknown, string, number, string?][] = [
      [{ monitors: [{ key: 'ok-one', schedule: '0 0 * * *' }, { key: 'untouched', schedule: 'every blue moon' }] }, 'monitors[1].schedule', 400],
      [[{ key: 'ok-two', schedule: '0 0 * * *' }, { key: 'untouched', notify: ['nobody'] }], 'monitors[1].notify', 400],
      [[{ key: 'dup', schedule: '0 0 * * *' }, { key: 'dup', schedule: '0 1 * * *' }], 'monitors[1].key', 400],
      [[{ key: 'probe', type: 'check', schedule: 'every 1 minute', request: { url: 'https://example.com' } }], 'monitors[0].type', 400],
      [[{ key: 'many', schedules: ['0 0 * * *', '0 12 * * *'] }], 'monitors[0].schedules', 400],
      [[{ schedule: '0 0 * * *' }], 'monitors[0].key', 400],
      [[{ key: 'tok', schedule: '0 0 * * *', ping_token: 'short' }], 'monitors[0].ping_token', 400],
      [{ monitors: 'nope' }, 'monitors', 400],
      [{ monitors: [], rollback: 'yes' }, 'rollback', 400],
    ];
    for (const [body, field, status] of cases) {
      const r = await call('PUT', '/monitors', body);
      assert.equal(r.status, status, JSON.stringify(body));
      assert.equal(r.json.error.field, field, r.text);
    }
    const badYaml = await call('PUT', '/monitors', 'jobs: [', { type: 'application/yaml' });
    assert.deepEqual([badYaml.status, badYaml.json.error.field], [400, 'body']);
    assert.match(badYaml.json.error.message, /not valid YAML/);
    const checks = await call('PUT', '/monitors', 'checks:\n  homepage:\n    schedule: every 1 minute\n', { type: 'text/yaml' });
    assert.match(checks.json.error.message, /check monitors .* are not supported/);
    assert.equal(await count(), before);
    assert.equal((await call('GET', '/monitors/untouched')).json.schedule, '0 0 * * *');
  });

  it('undoes the writes already made when a later write of the batch fails', async () => {
    await call('POST', '/monitors', { key: 'undo-existing', schedule: '0 0 * * *', tags: ['before'] });
    let inserts = 0;
    const failing = new Proxy(s.store, {
      get(target, prop, receiver) {
        if (prop === 'insertMonitor') {
          return async (m: Parameters<Store['insertMonitor']>[0]) => {
            if (++inserts === 2) throw new Error('disk full');
            return target.insertMonitor(m);
          };
        }
        const value = Reflect.get(target, prop, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const ctx = { store: failing, clock: s.clock, deadlineChanged: () => undefined, flipped: () => undefined };
    const before = await count();
    await assert.rejects(
      upsertMonitors(ctx, projectId, [
        { key: 'undo-a', input: { schedule: '0 0 * * *' } },
        { key: 'undo-existing', input: { tags: ['after'] }, paused: true },
        { key: 'undo-b', input: { schedule: '0 0 * * *' } },
      ]),
      /disk full/,
    );
    assert.equal(await count(), before);
    const kept = await native('undo-existing');
    assert.deepEqual([kept.tags, kept.state], [['before'], 'pending']);
  });

  it('refuses what is not a monitor object: an array or YAML for POST, a non-object for PUT /:key', async () => {
    const post = await call('POST', '/monitors', [{ key: 'x' }]);
    assert.deepEqual([post.status, post.json.error.field], [400, 'body']);
    const yamlPost = await call('POST', '/monitors', 'key: x\nschedule: 0 0 * * *\n', { type: 'application/yaml' });
    assert.deepEqual([yamlPost.status, yamlPost.json.error.field], [400, 'body']);
    assert.match(yamlPost.json.error.message, /YAML configs go to PUT \/api\/monitors/);
    await call('POST', '/monitors', { key: 'plain', schedule: '0 0 * * *' });
    const put = await call('PUT', '/monitors/plain', '"text"');
    assert.deepEqual([put.status, put.json.error.field], [400, 'body']);
    const badType = await call('PUT', '/monitors/plain', { grace_seconds: true });
    assert.deepEqual([badType.status, badType.json.error.field], [400, 'grace_seconds']);
  });
});
