import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, TEST_API_KEY, unusedPort } from './cli-harness.js';

describe('overdue exit codes', () => {
  it('exits 3 naming the URL when nothing listens there', async () => {
    const url = `http://127.0.0.1:${await unusedPort()}`;
    const r = await runCli(['monitors', 'list'], { OVERDUE_URL: url, OVERDUE_API_KEY: TEST_API_KEY });
    assert.equal(r.code, 3);
    assert.match(r.stderr, new RegExp(`^error: cannot reach the server at ${url.replace(/[.]/g, '\\.')} \\(ECONNREFUSED\\)`));
  });

  it('exits 3 for a ping too, which needs no API key', async () => {
    const r = await runCli(['ping', 'some-token', '--url', `http://127.0.0.1:${await unusedPort()}`]);
    assert.equal(r.code, 3);
  });

  it('exits 2 for usage errors: unknown command or option, missing argument, no subcommand', async () => {
    for (const args of [['explode'], ['monitors', 'list', '--colour'], ['monitors', 'get'], ['monitors'], []]) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `overdue ${args.join(' ')}: ${r.stderr}`);
    }
  });

  it('exits 2 asking for a key when none is given, before contacting the server', async () => {
    const r = await runCli(['monitors', 'list'], { OVERDUE_URL: `http://127.0.0.1:${await unusedPort()}` });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: no API key: set OVERDUE_API_KEY or pass --api-key/);
  });

  it('exits 2 for a --url that is not an http(s) URL', async () => {
    const r = await runCli(['monitors', 'list', '--url', 'localhost:8080'], { OVERDUE_API_KEY: TEST_API_KEY });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: --url: "localhost:8080" must start with http:\/\/ or https:\/\//);
  });

  it('exits 0 for --help and --version', async () => {
    const help = await runCli(['monitors', 'create', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--interval <seconds>/);
    const version = await runCli(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  });
});
