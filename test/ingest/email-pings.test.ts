/**
 * Email pings end to end: a server started with SMTP_LISTEN on an ephemeral 127.0.0.1 port, mail sent to it with
 * nodemailer, and the monitors' states read back through the API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTransport, type Transporter } from 'nodemailer';
import { startTestServer, type TestServer } from '../helpers/server.js';

describe('email pings (SMTP_LISTEN)', () => {
  let s: TestServer;
  let smtp: Transporter;
  let pingKey: string;
  before(async () => {
    s = await startTestServer({ SMTP_LISTEN: '127.0.0.1:0' });
    assert.ok(s.smtp, 'the listener is bound');
    assert.equal(s.smtp.host, '127.0.0.1');
    smtp = createTransport({ host: '127.0.0.1', port: s.smtp.port, secure: false, ignoreTLS: true, connectionTimeout: 5000, greetingTimeout: 5000, socketTimeout: 5000 });
    pingKey = (await s.api('GET', '/v1/project')).json.ping_key;
  });
  after(async () => {
    smtp.close();
    await s.close();
  });

  let n = 0;
  const newMonitor = async (over: Record<string, unknown> = {}) => {
    const r = await s.api('POST', '/v1/monitors', { name: `mail-${++n}`, expected_interval_sec: 3600, ...over });
    assert.equal(r.status, 201, r.text);
    return r.json;
  };
  const send = (to: string | string[], subject = 'Cron <root> /usr/local/bin/backup.sh', text = 'backup finished\n') =>
    smtp.sendMail({ from: 'cron@db-1.example', to, subject, text });
  const state = async (id: string) => (await s.api('GET', `/v1/monitors/${id}`)).json.state;
  const pings = async (id: string) => (await s.api('GET', `/v1/monitors/${id}/pings?limit=20`)).json;

  it('records mail to <token>@any-domain as a success ping from email, with subject and text as its body', async () => {
    const m = await newMonitor();
    const info = await send(`${m.ping_token}@overdue.example`);
    assert.deepEqual(info.accepted, [`${m.ping_token}@overdue.example`]);
    assert.equal(await state(m.id), 'up');
    const p = (await pings(m.id)).items[0];
    assert.deepEqual([p.kind, p.source, p.method, p.ip, p.user_agent, p.msg], ['success', 'email', 'SMTP', '127.0.0.1', null, null]);
    assert.equal(p.body_preview, 'Cron <root> /usr/local/bin/backup.sh\n\nbackup finished\n');
  });

  it('maps +run/+start, +complete, +fail and +ok to start, success, fail and reset', async () => {
    const m = await newMonitor();
    const steps: [string, string][] = [['run', 'running'], ['complete', 'up'], ['start', 'running'], ['fail', 'down'], ['ok', 'up']];
    for (const [event, expected] of steps) {
      await send(`${m.ping_token}+${event}@cronitor.link`);
      assert.equal(await state(m.id), expected, event);
    }
    assert.deepEqual((await pings(m.id)).items.map((p: { kind: string }) => p.kind).reverse(), ['start', 'success', 'start', 'fail', 'ok']);
  });

  it('addresses a monitor as <ping_key>+<slug>@ (success) and <ping_key>+<slug>+fail@', async () => {
    const m = await newMonitor({ key: 'mailed-job' });
    await send(`${pingKey}+mailed-job@overdue.example`);
    assert.equal(await state(m.id), 'up');
    await send(`${pingKey}+mailed-job+fail@overdue.example`);
    assert.equal(await state(m.id), 'down');
  });

  it('refuses an unknown recipient at RCPT TO with 550, and delivers to the known ones of the same message', async () => {
    const m = await newMonitor();
    await assert.rejects(send('mping_nobody@overdue.example'), (e: { responseCode?: number; code?: string }) => e.code === 'EENVELOPE' && e.responseCode === 550);
    await assert.rejects(send(`${pingKey}+no-such-slug@overdue.example`), (e: { responseCode?: number }) => e.responseCode === 550);
    const info = await send([`${m.ping_token}+fail@overdue.example`, 'mping_nobody@overdue.example']);
    assert.deepEqual(info.rejected, ['mping_nobody@overdue.example']);
    assert.equal(await state(m.id), 'down');
    assert.equal((await pings(m.id)).total, 1);
  });

  it('scans the subject and the text for the monitor\'s failure keywords', async () => {
    const m = await newMonitor({ payload_scanning: { failure_keyword: ['ERROR'] } });
    await send(m.ping_token + '@overdue.example', 'backup ERROR: disk full', 'see log');
    assert.equal(await state(m.id), 'down');
    const flips = (await s.api('GET', `/v1/monitors/${m.id}/flips`)).json.items;
    assert.match(flips[0].reason, /failure keyword "ERROR"/);
    await send(m.ping_token + '@overdue.example', 'backup done', 'all fine');
    assert.equal(await state(m.id), 'up');
  });

  it('refuses a message over the size limit with 552 and records nothing', async () => {
    const m = await newMonitor();
    await assert.rejects(send(`${m.ping_token}@overdue.example`, 'huge', 'x'.repeat(1024 * 1024 + 10)), (e: { responseCode?: number }) => e.responseCode === 552);
    assert.equal((await pings(m.id)).total, 0);
    assert.equal(await state(m.id), 'pending');
  });
});
