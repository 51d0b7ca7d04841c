import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
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

  for (const [name, value] of [['PORT', 'eighty'], ['PORT', '70000'], ['LOG_LEVEL', 'loud'], ['OVERDUE_SQLITE_SYNC', 'off'], ['OVERDUE_BOOTSTRAP_API_KEY', 'short']] as const) {
    it(`refuses ${name}=${value} with a message naming the variable`, () => {
      assert.throws(() => loadConfig({ [name]: value }), (e: unknown) => e instanceof AppError && e.field === name && e.message.startsWith(name));
    });
  }
});
