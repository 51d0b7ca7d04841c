import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, smtpListenOf } from '../../src/config/config.js';
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

  for (const [name, value] of [['PORT', 'eighty'], ['PORT', '70000'], ['LOG_LEVEL', 'loud'], ['OVERDUE_SQLITE_SYNC', 'off'], ['OVERDUE_BOOTSTRAP_API_KEY', 'short']] as const) {
    it(`refuses ${name}=${value} with a message naming the variable`, () => {
      assert.throws(() => loadConfig({ [name]: value }), (e: unknown) => e instanceof AppError && e.field === name && e.message.startsWith(name));
    });
  }
});
