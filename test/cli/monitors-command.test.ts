import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { field, runCli, startTestServer, TEST_API_KEY, type TestServer } from './cli-harness.js';

describe('overdue monitors', () => {
  let server: TestServer;
  let intervalId: string;
  let cronId: string;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  it('creates an interval monitor and prints its fields, including the ping URL', async () => {
    const r = await runCli(['monitors', 'create', '--name', 'nightly-backup', '--interval', '3600', '--grace', '120', '--tag', 'db', '--tag', 'nightly'], server.env);
    assert.equal(r.code, 0, r.stderr);
    intervalId = field(r.stdout, 'id') ?? '';
    assert.match(intervalId, /\S/);
    assert.equal(field(r.stdout, 'name'), 'nightly-backup');
    assert.equal(field(r.stdout, 'state'), 'pending');
    assert.equal(field(r.stdout, 'expected_interval_sec'), '3600');
    assert.equal(field(r.stdout, 'grace_seconds'), '120');
    assert.equal(field(r.stdout, 'tags'), 'db, nightly');
    const token = field(r.stdout, 'ping_token') ?? '';
    assert.match(token, /\S/);
    assert.ok(field(r.stdout, 'ping_url')?.endsWith(`/v1/ping/${token}`), r.stdout);
  });

  it('creates a cron monitor in a time zone, sending a duration grace as text', async () => {
    const r = await runCli(['monitors', 'create', '--name', 'report', '--schedule', '0 2 * * *', '--timezone', 'America/New_York', '--grace', '10m', '--type', 'job'], server.env);
    assert.equal(r.code, 0, r.stderr);
    cronId = field(r.stdout, 'id') ?? '';
    assert.equal(field(r.stdout, 'schedule'), '0 2 * * *');
    assert.equal(field(r.stdout, 'timezone'), 'America/New_York');
    assert.equal(field(r.stdout, 'grace_seconds'), '600');
    assert.equal(field(r.stdout, 'expected_interval_sec'), '-');
  });

  it('lists monitors as an aligned table followed by "N of TOTAL"', async () => {
    const r = await runCli(['monitors', 'list'], server.env);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /^ID\s+NAME\s+STATE\s+SCHEDULE\s+LAST PING\s+NEXT EXPECTED$/);
    const backup = lines.find((l) => l.includes('nightly-backup')) ?? '';
    const report = lines.find((l) => l.includes('report')) ?? '';
    assert.ok(backup.startsWith(intervalId), backup);
    assert.match(report, /0 2 \* \* \* \(America\/New_York\)/);
    // Aligned: every row's NAME column starts where the header's does.
    const nameColumn = (lines[0] ?? '').indexOf('NAME');
    assert.equal(backup.indexOf('nightly-backup'), nameColumn);
    assert.equal(report.indexOf('report'), nameColumn);
    assert.equal(lines.at(-1), '2 of 2 monitors');
  });

  it('filters the list by tag and pages it with --limit', async () => {
    const tagged = await runCli(['monitors', 'list', '--tag', 'nightly'], server.env);
    assert.equal(tagged.code, 0, tagged.stderr);
    assert.ok(tagged.stdout.includes('nightly-backup'));
    assert.ok(!tagged.stdout.includes('report'));
    const limited = await runCli(['monitors', 'list', '--limit', '1'], server.env);
    assert.equal(limited.stdout.trimEnd().split('\n').at(-1), '1 of 2 monitors');
  });

  it('prints one monitor with get', async () => {
    const r = await runCli(['monitors', 'get', cronId], server.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(field(r.stdout, 'id'), cronId);
    assert.equal(field(r.stdout, 'name'), 'report');
  });

  it('pauses a monitor for N hours and resumes it', async () => {
    const before = Date.now();
    const paused = await runCli(['monitors', 'pause', intervalId, '--hours', '2'], server.env);
    assert.equal(paused.code, 0, paused.stderr);
    assert.equal(field(paused.stdout, 'state'), 'paused');
    const until = Date.parse(field(paused.stdout, 'paused_until') ?? '');
    assert.ok(Math.abs(until - (before + 2 * 3_600_000)) < 60_000, `paused_until ${field(paused.stdout, 'paused_until')}`);

    const resumed = await runCli(['monitors', 'resume', intervalId], server.env);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(field(resumed.stdout, 'state'), 'pending');
    assert.equal(field(resumed.stdout, 'paused_until'), '-');
  });

  it('pauses without --hours until resumed', async () => {
    const r = await runCli(['monitors', 'pause', cronId], server.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(field(r.stdout, 'state'), 'paused');
    assert.equal(field(r.stdout, 'paused_until'), '-');
    assert.equal((await runCli(['monitors', 'resume', cronId], server.env)).code, 0);
  });

  it("prints the API's JSON with --json, wherever the flag is placed", async () => {
    const direct = await server.api('GET', `/v1/monitors/${intervalId}`);
    const afterCommand = await runCli(['monitors', 'get', intervalId, '--json'], server.env);
    assert.equal(afterCommand.code, 0, afterCommand.stderr);
    assert.deepEqual(JSON.parse(afterCommand.stdout), direct.json);
    const beforeCommand = await runCli(['--json', 'monitors', 'get', intervalId], server.env);
    assert.deepEqual(JSON.parse(beforeCommand.stdout), direct.json);

    const list = await runCli(['monitors', 'list', '--json'], server.env);
    assert.deepEqual(JSON.parse(list.stdout), (await server.api('GET', '/v1/monitors')).json);

    const created = await runCli(['monitors', 'create', '--name', 'json-one', '--schedule', 'every 5 minutes', '--json'], server.env);
    assert.equal(created.code, 0, created.stderr);
    const monitor = JSON.parse(created.stdout) as { id: string; schedule: string };
    assert.equal(monitor.schedule, 'every 5 minutes');
    assert.deepEqual(monitor, (await server.api('GET', `/v1/monitors/${monitor.id}`)).json);
  });

  it('deletes a monitor, after which get fails with the server\'s message', async () => {
    const created = await runCli(['monitors', 'create', '--name', 'short-lived', '--interval', '60', '--json'], server.env);
    const { id } = JSON.parse(created.stdout) as { id: string };
    const deleted = await runCli(['monitors', 'delete', id], server.env);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, `deleted ${id}\n`);
    const gone = await runCli(['monitors', 'get', id], server.env);
    assert.equal(gone.code, 1);
    assert.equal(gone.stderr, `error: monitor ${id} not found\n`);
  });

  it("exits 1 with the server's message for a schedule it rejects", async () => {
    const r = await runCli(['monitors', 'create', '--name', 'bad', '--schedule', '0 25 * * *'], server.env);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    const direct = await server.api('POST', '/v1/monitors', { name: 'bad', schedule: '0 25 * * *' });
    const message = (direct.json as { error: { message: string } }).error.message;
    assert.match(message, /hour/);
    assert.equal(r.stderr, `error: ${message}\n`);
  });

  it('exits 1 with "invalid API key" for a wrong key, and --api-key overrides the environment', async () => {
    const wrong = await runCli(['monitors', 'list'], { ...server.env, OVERDUE_API_KEY: 'od_wrong_key_0000000000000000000000000000' });
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^error: invalid API key\n$/);
    const overridden = await runCli(['monitors', 'list', '--api-key', TEST_API_KEY], { ...server.env, OVERDUE_API_KEY: 'wrong' });
    assert.equal(overridden.code, 0, overridden.stderr);
  });

  it('takes the server from --url over OVERDUE_URL', async () => {
    const r = await runCli(['--url', server.url, 'monitors', 'list'], { OVERDUE_URL: 'http://127.0.0.1:1', OVERDUE_API_KEY: TEST_API_KEY });
    assert.equal(r.code, 0, r.stderr);
  });

  it('refuses conflicting --interval and --schedule as a usage error (exit 2)', async () => {
    const r = await runCli(['monitors', 'create', '--name', 'x', '--interval', '60', '--schedule', 'hourly'], server.env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot be used with/);
  });
});
