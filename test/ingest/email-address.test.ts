import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_PING_BODY_BYTES } from '../../src/domain/ping.js';
import { emailPingBody, parseRecipient } from '../../src/ingest/email.js';

describe('email ping addresses', () => {
  it('reads <token>@ and <token>+<event>@ with Cronitor\'s event words, any case, any domain', () => {
    assert.deepEqual(parseRecipient('mping_abc@overdue.example'), { token: 'mping_abc', kind: 'success' });
    assert.deepEqual(parseRecipient('mping_abc+run@x.test'), { token: 'mping_abc', kind: 'start' });
    assert.deepEqual(parseRecipient('mping_abc+start@x.test'), { token: 'mping_abc', kind: 'start' });
    assert.deepEqual(parseRecipient('mping_abc+complete@x.test'), { token: 'mping_abc', kind: 'success' });
    assert.deepEqual(parseRecipient('mping_abc+FAIL@x.test'), { token: 'mping_abc', kind: 'fail' });
    assert.deepEqual(parseRecipient('mping_abc+ok@x.test'), { token: 'mping_abc', kind: 'ok' });
  });

  it('reads <ping_key>+<slug>@ as a success of that monitor, and <ping_key>+<slug>+<event>@ as that event', () => {
    assert.deepEqual(parseRecipient('pk_key+nightly-backup@x.test'), { pingKey: 'pk_key', slug: 'nightly-backup', kind: 'success' });
    assert.deepEqual(parseRecipient('pk_key+nightly-backup+fail@x.test'), { pingKey: 'pk_key', slug: 'nightly-backup', kind: 'fail' });
    assert.deepEqual(parseRecipient('pk_key+run+run@x.test'), { pingKey: 'pk_key', slug: 'run', kind: 'start' }, 'a slug spelled like an event needs an event');
  });

  it('refuses shapes that name nothing', () => {
    for (const address of ['@x.test', '+run@x.test', 'mping_abc+@x.test', 'pk+slug+explode@x.test', 'a+b+c+d@x.test', 'a++fail@x.test']) {
      assert.equal(parseRecipient(address), null, address);
    }
  });
});

describe('email ping body', () => {
  const mail = (headers: string, body: string) => Buffer.from(`From: cron@host.example\r\nTo: mping_abc@overdue.example\r\n${headers}\r\n\r\n${body}`);

  it('is the decoded subject, a blank line, and the text body', async () => {
    const raw = mail('Subject: =?UTF-8?Q?Cron_<root>_backup_=E2=9C=93?=\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable', 'rsync done=\r\n in 3 s\r\n');
    assert.equal((await emailPingBody(raw)).toString(), 'Cron <root> backup ✓\n\nrsync done in 3 s\n');
  });

  it('converts an HTML-only message to text, and keeps an empty subject as an empty first line', async () => {
    const raw = mail('Content-Type: text/html; charset=utf-8', '<p>Backup <b>failed</b>: ERROR disk full</p>');
    const body = (await emailPingBody(raw)).toString();
    assert.match(body, /^\n\nBackup failed: ERROR disk full/i);
  });

  it('is cut to MAX_PING_BODY_BYTES without splitting a UTF-8 character', async () => {
    const raw = mail('Subject: big\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit', 'é'.repeat(60_000));
    const body = await emailPingBody(raw);
    assert.ok(body.length <= MAX_PING_BODY_BYTES && body.length >= MAX_PING_BODY_BYTES - 1);
    assert.ok(!body.toString('utf8').includes('\uFFFD'), 'no broken character at the end');
  });
});
