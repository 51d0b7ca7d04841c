import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cronitorOptionsOf, loadConfig, rolesOf, smtpListenOf } from '../../src/config/config.js';
import { AppError } from '../../src/domain/errors.js';

describe('configuration', () => {
  it('defaults to port 8080 and the embedded SQLite file', () => {
    const c = loadConfig({});
    assert.equal(c.PORT, 8080);
    assert.equal(c.DATABASE_URL, 'sqlite://./data/overdue.db');
    assert.equal(c.OVERDUE_SQLITE_SYNC, 'full');
    assert.equal(c.LOG_LEVEL, 'info');
    assert.equal(c.OVERDUE_BASE_URL, undefined);
    assert.ok(Object.isFrozen(c));
  });

  it('converts and trims values', () => {
    const c = loadConfig({ PORT: '9000', OVERDUE_BASE_URL: 'https://cron.example.com/', OVERDUE_SQLITE_SYNC: 'normal' });
    assert.equal(c.PORT, 9000);
    assert.equal(c.OVERDUE_BASE_URL, 'https://cron.example.com');
    assert.equal(c.OVERDUE_SQLITE_SYNC, 'normal');
  });

  it('has no SMTP listener unless SMTP_LISTEN is set, and reads host:port and [ipv6]:port', () => {
    assert.equal(smtpListenOf(loadConfig({})), null);
    assert.deepEqual(smtpListenOf(loadConfig({ SMTP_LISTEN: '0.0.0.0:2525' })), { host: '0.0.0.0', port: 2525 });
    assert.deepEqual(smtpListenOf(loadConfig({ SMTP_LISTEN: 'mail.internal:25' })), { host: 'mail.internal', port: 25 });
    assert.deepEqual(smtpListenOf(loadConfig({ SMTP_LISTEN: '[::1]:0' })), { host: '::1', port: 0 });
  });

  for (const value of ['2525', 'localhost', 'localhost:', ':2525', 'localhost:65536', '::1:25', 'local host:25']) {
    it(`refuses SMTP_LISTEN=${value} with a message naming the variable`, () => {
      assert.throws(() => loadConfig({ SMTP_LISTEN: value }), (e: unknown) => e instanceof AppError && e.field === 'SMTP_LISTEN' && e.message.startsWith('SMTP_LISTEN: expected host:port'));
    });
  }

  it('runs every role by default, or the comma-separated roles of OVERDUE_ROLES', () => {
    assert.deepEqual(rolesOf(loadConfig({})), ['api', 'scheduler', 'notifier']);
    assert.deepEqual(rolesOf(loadConfig({ OVERDUE_ROLES: 'notifier, API' })), ['api', 'notifier']);
    assert.deepEqual(rolesOf(loadConfig({ OVERDUE_ROLES: 'scheduler' })), ['scheduler']);
    assert.deepEqual(rolesOf(loadConfig({ OVERDUE_ROLES: 'all' })), ['api', 'scheduler', 'notifier']);
  });

  for (const value of ['web', 'api,', 'api;scheduler']) {
    it(`refuses OVERDUE_ROLES=${value} with a message naming the variable`, () => {
      assert.throws(() => loadConfig({ OVERDUE_ROLES: value }), (e: unknown) => e instanceof AppError && e.field === 'OVERDUE_ROLES' && e.message.startsWith('OVERDUE_ROLES: expected "all" or a comma-separated list'));
    });
  }

  for (const [name, value] of [['PORT', 'eighty'], ['PORT', '70000'], ['LOG_LEVEL', 'loud'], ['OVERDUE_SQLITE_SYNC', 'off'], ['OVERDUE_BOOTSTRAP_API_KEY', 'short']] as const) {
    it(`refuses ${name}=${value} with a message naming the variable`, () => {
      assert.throws(() => loadConfig({ [name]: value }), (e: unknown) => e instanceof AppError && e.field === name && e.message.startsWith(name));
    });
  }

  it('serves the Cronitor URLs under /cronitor with auto-creation on by default, and normalizes OVERDUE_CRONITOR_PREFIX', () => {
    assert.deepEqual(cronitorOptionsOf(loadConfig({})), { prefix: '/cronitor', autoCreate: true });
    assert.deepEqual(cronitorOptionsOf(loadConfig({ OVERDUE_CRONITOR_PREFIX: 'compat/cronitor/', OVERDUE_CRONITOR_AUTO_CREATE: 'false' })), { prefix: '/compat/cronitor', autoCreate: false });
  });

  for (const value of ['/', '/v1', '/api/cronitor', '/ping', '/has space', '/a//b', '/cron?x']) {
    it(`refuses OVERDUE_CRONITOR_PREFIX=${value} with a message naming the variable`, () => {
      assert.throws(() => loadConfig({ OVERDUE_CRONITOR_PREFIX: value }), (e: unknown) => e instanceof AppError && e.field === 'OVERDUE_CRONITOR_PREFIX' && e.message.startsWith('OVERDUE_CRONITOR_PREFIX: expected a path'));
    });
  }
});
