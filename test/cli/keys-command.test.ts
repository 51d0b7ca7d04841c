import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, startTestServer, type TestServer } from './cli-harness.js';

describe('overdue keys create', () => {
  let server: TestServer;

  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  it('creates a read-only key that can list monitors but not create one', async () => {
    const r = await runCli(['keys', 'create', '--read-only', '--name', 'dashboard', '--database', server.databaseUrl]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /read-only API key "dashboard"/);
    assert.match(r.stdout, /shown only this once/);
    const key = /export OVERDUE_API_KEY=(\S+)/.exec(r.stdout)?.[1] ?? '';
    assert.match(key, /\S{20,}/);

    const env = { OVERDUE_URL: server.url, OVERDUE_API_KEY: key };
    const listed = await runCli(['monitors', 'list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    const created = await runCli(['monitors', 'create', '--name', 'nope', '--interval', '60'], env);
    assert.equal(created.code, 1);
    assert.match(created.stderr, /^error: .*read-only/);
  });

  it('prints {id, name, read_only, key} with --json, taking the database from DATABASE_URL', async () => {
    const r = await runCli(['keys', 'create', '--json'], { DATABASE_URL: server.databaseUrl });
    assert.equal(r.code, 0, r.stderr);
    const created = JSON.parse(r.stdout) as { id: string; name: string; read_only: boolean; key: string };
    assert.deepEqual(Object.keys(created).sort(), ['id', 'key', 'name', 'read_only']);
    assert.equal(created.read_only, false);
    const keys = await server.api('GET', '/v1/keys', undefined, created.key);
    assert.equal(keys.status, 200);
    assert.ok((keys.json as { items: Array<{ id: string }> }).items.some((k) => k.id === created.id));
  });

  it('refuses an unknown --project, naming the projects there are', async () => {
    const r = await runCli(['keys', 'create', '--project', 'prj_nope', '--database', server.databaseUrl]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: --project: no project "prj_nope"; projects: prj_\S+ "Default"/);
  });

  it('exits 1 without creating a database file when the path does not exist', async () => {
    const missing = join(server.dir, 'typo.db');
    const r = await runCli(['keys', 'create', '--database', `sqlite://${missing}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: no database at sqlite:\/\/.*typo\.db/);
    assert.equal(existsSync(missing), false);
  });
});
