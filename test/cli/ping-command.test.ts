import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { field, runCli, startTestServer, type TestServer } from './cli-harness.js';

describe('overdue ping', () => {
  let server: TestServer;
  let id: string;
  let token: string;
  // Pings need no API key: the token is the credential.
  const pingEnv = () => ({ OVERDUE_URL: server.url });

  before(async () => {
    server = await startTestServer();
    const created = await server.api('POST', '/v1/monitors', { name: 'pinged', expected_interval_sec: 3600 });
    ({ id, ping_token: token } = created.json as { id: string; ping_token: string });
  });
  after(async () => {
    await server.close();
  });

  it('prints the state after each kind of ping: success, start, fail and exit codes', async () => {
    const steps: Array<[args: string[], state: string]> = [
      [[], 'up'],
      [['start'], 'running'],
      [[], 'up'],
      [['fail'], 'down'],
      [['0'], 'up'],
      [['3'], 'down'],
    ];
    for (const [args, state] of steps) {
      const r = await runCli(['ping', token, ...args], pingEnv());
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `${state}\n`, `after ping ${args.join(' ') || '(success)'}`);
    }
    const shown = await runCli(['monitors', 'get', id], server.env);
    assert.equal(field(shown.stdout, 'state'), 'down');
    assert.equal(field(shown.stdout, 'down_reason'), 'failed');
    const listed = await runCli(['monitors', 'list'], server.env);
    assert.match(listed.stdout, /pinged\s+down \(failed\)/);
  });

  it('sends --msg and a --body read from stdin with "-"', async () => {
    const r = await runCli(['ping', token, 'log', '--msg', 'disk at 91%', '--body', '-'], pingEnv(), 'line one\nline two\n');
    assert.equal(r.code, 0, r.stderr);
    const pings = await server.api('GET', `/v1/monitors/${id}/pings?limit=1`);
    const [latest] = (pings.json as { items: Array<{ kind: string; method: string; msg: string; body_preview: string }> }).items;
    assert.equal(latest?.kind, 'log');
    assert.equal(latest?.method, 'POST');
    assert.equal(latest?.msg, 'disk at 91%');
    assert.equal(latest?.body_preview, 'line one\nline two\n');
  });

  it('prints the reply as JSON with --json, and says when the monitor is paused', async () => {
    await server.api('POST', `/v1/monitors/${id}/pause`);
    const human = await runCli(['ping', token], pingEnv());
    assert.equal(human.stdout, 'paused (Monitor is paused)\n');
    const json = await runCli(['ping', token, '--json'], pingEnv());
    assert.deepEqual(JSON.parse(json.stdout), { ok: true, state: 'paused', message: 'Monitor is paused' });
    await server.api('POST', `/v1/monitors/${id}/resume`);
  });

  it('exits 1 for an unknown token and for an action the server does not know', async () => {
    const unknown = await runCli(['ping', 'no-such-token'], pingEnv());
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^error: .*not found\n$/);
    const badAction = await runCli(['ping', token, 'explode'], pingEnv());
    assert.equal(badAction.code, 1);
    assert.match(badAction.stderr, /^error: action: "explode" is not start, fail, log, ok or an exit code/);
  });
});
