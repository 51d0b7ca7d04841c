import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PING_KINDS, pingKindFromAction } from '../../src/domain/ping.js';
import { looksLikeAction, parseHealthchecksPath } from '../../src/ingest/healthchecks.js';

describe('healthchecks /ping/… paths', () => {
  it('reads one segment as a token, and three as ping key, slug and action', () => {
    assert.deepEqual(parseHealthchecksPath('mping_a'), { target: { token: 'mping_a' }, action: undefined });
    assert.deepEqual(parseHealthchecksPath('pk_a', 'backup', 'fail'), { target: { pingKey: 'pk_a', slug: 'backup' }, action: 'fail' });
    assert.deepEqual(parseHealthchecksPath('pk_a', 'backup', ''), { target: { pingKey: 'pk_a', slug: 'backup' }, action: '' });
  });

  it('reads two segments as token + action when the second is an action or a number, else as ping key + slug', () => {
    for (const b of ['start', 'fail', 'log', 'ok', '0', '7', '255', '256', '99999', '']) {
      assert.deepEqual(parseHealthchecksPath('x', b), { target: { token: 'x' }, action: b }, b);
    }
    for (const b of ['backup', 'Start', 'fail2', 'db.nightly', '1a']) {
      assert.deepEqual(parseHealthchecksPath('x', b), { target: { pingKey: 'x', slug: b }, action: undefined }, b);
    }
  });

  it('treats every action word the domain knows as an action, including kinds added later', () => {
    for (const word of [...PING_KINDS, 'start', 'fail', 'log', 'ok']) {
      if (pingKindFromAction(word) !== null) assert.ok(looksLikeAction(word), word);
    }
  });
});
