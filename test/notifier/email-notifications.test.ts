import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SMTPServer } from 'smtp-server';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('email notifications end to end', () => {
  let smtp: SMTPServer;
  let s: TestServer;
  const mails: { to: string[]; raw: string }[] = [];

  before(async () => {
    smtp = new SMTPServer({
      secure: false,
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
    const port = (smtp.server.address() as AddressInfo).port;
    s = await startTestServer({ SMTP_URL: `smtp://127.0.0.1:${port}`, SMTP_FROM: 'Overdue <overdue@example.com>' });
  });
  after(async () => {
    await s.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('emails the rule\'s recipients once when a monitor goes down', async () => {
    const channel = (await s.api('POST', '/v1/channels', { name: 'ops-mail', kind: 'email', config: { to: ['ops@example.com', 'oncall@example.com'] } })).json;
    assert.deepEqual(channel.config.to, ['ops@example.com', 'oncall@example.com']);
    const monitor = (await s.api('POST', '/v1/monitors', { name: 'nightly-backup', expected_interval_sec: 3600 })).json;
    await s.api('POST', `/v1/monitors/${monitor.id}/notification-rules`, { channel_id: channel.id, event: 'on_down' });
    await s.app.inject({ method: 'GET', url: `/v1/ping/${monitor.ping_token}/3` });
    assert.equal(await s.notifier.tick(), 1);
    assert.equal(await s.notifier.tick(), 0);
    assert.equal(mails.length, 1);
    assert.deepEqual(mails[0]!.to.sort(), ['oncall@example.com', 'ops@example.com']);
    assert.match(mails[0]!.raw, /^Subject: \[Overdue\] nightly-backup is DOWN/m);
    assert.match(mails[0]!.raw, /exit code 3/);
    const log = (await s.api('GET', `/v1/notifications?channel_id=${channel.id}`)).json;
    assert.equal(log.items[0].status, 'sent');
    assert.equal(log.items[0].response_code, 250);
  });
});
