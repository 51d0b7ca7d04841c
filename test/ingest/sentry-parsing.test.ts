/**
 * The Sentry dialect's pure parts: envelope framing, credentials (X-Sentry-Auth, DSN, public key ↔ ping key),
 * body decoding limits, and check-in reading (ids, slugs, environments → monitor keys, monitor_config fields).
 */
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { BodyDecodeError, decodeBody } from '../../src/ingest/sentry-body.js';
import { monitorInputOf, monitorKeyOf, readCheckIn, readCheckInQuery, readMonitorConfig, sentrySlug } from '../../src/ingest/sentry-check-in.js';
import { parseDsn, pingKeyOfSentryKey, sentryDsn, sentryKeyOfAuthHeader, sentryProjectId, sentryPublicKey } from '../../src/ingest/sentry-dsn.js';
import { EnvelopeError, parseEnvelope } from '../../src/ingest/sentry-envelope.js';

describe('Sentry envelope framing', () => {
  const text = (b: Buffer) => b.toString('utf8');

  it('reads items without length up to the newline or the end, with or without a trailing newline', () => {
    for (const trailer of ['', '\n', '\n\n']) {
      const e = parseEnvelope(Buffer.from(`{"dsn":"x"}\n{"type":"check_in"}\n{"a":1}\n{"type":"span"}\n{"b":2}${trailer}`));
      assert.deepEqual(e.headers, { dsn: 'x' });
      assert.deepEqual(e.items.map((i) => [i.type, text(i.payload)]), [['check_in', '{"a":1}'], ['span', '{"b":2}']]);
    }
  });

  it('reads exactly length bytes, newlines and multi-byte characters included', () => {
    const payload = '{"m":"é\nx"}';
    const e = parseEnvelope(Buffer.from(`{}\n{"type":"check_in","length":${Buffer.byteLength(payload)}}\n${payload}\n{"type":"x","length":0}\n`));
    assert.deepEqual(e.items.map((i) => [i.type, text(i.payload)]), [['check_in', payload], ['x', '']]);
  });

  it('gives an item with no type the type ""', () => {
    assert.equal(parseEnvelope(Buffer.from('{}\n{}\n{}')).items[0]?.type, '');
  });

  it('refuses broken framing', () => {
    for (const body of ['', 'nope', '[]', '{}\nnot json\n{}', '{}\n{"type":"a","length":10}\n{}', '{}\n{"type":"a","length":2}\n{}x', '{}\n{"type":"a","length":-1}\n', '{}\n{"type":"a","length":"2"}\n{}']) {
      assert.throws(() => parseEnvelope(Buffer.from(body)), EnvelopeError, JSON.stringify(body));
    }
  });
});

describe('Sentry credentials', () => {
  it('round-trips a ping key through the hex public key, and keeps a raw ping key as it is', () => {
    const pingKey = 'pk_Ab-_0123456789abcdefghijklmnopqrstuvwx';
    const publicKey = sentryPublicKey(pingKey);
    assert.match(publicKey, /^[0-9a-f]+$/);
    assert.equal(pingKeyOfSentryKey(publicKey), pingKey);
    assert.equal(pingKeyOfSentryKey(publicKey.toUpperCase()), pingKey);
    assert.equal(pingKeyOfSentryKey(pingKey), pingKey);
  });

  it('derives a stable 9-digit project id, different per project', () => {
    assert.match(sentryProjectId('prj_a'), /^[1-9]\d{8}$/);
    assert.equal(sentryProjectId('prj_a'), sentryProjectId('prj_a'));
    assert.notEqual(sentryProjectId('prj_a'), sentryProjectId('prj_b'));
  });

  it('builds the DSN under the base URL, keeping its path and port', () => {
    const project = { id: 'prj_a', pingKey: 'pk_x' };
    const id = sentryProjectId('prj_a');
    assert.equal(sentryDsn('http://localhost:8080', project), `http://706b5f78@localhost:8080/${id}`);
    assert.equal(sentryDsn('https://h.example/a/b/', project), `https://706b5f78@h.example/a/b/${id}`);
  });

  it('reads sentry_key from X-Sentry-Auth in any case and spacing', () => {
    assert.equal(sentryKeyOfAuthHeader('Sentry sentry_key=abc, sentry_version=7, sentry_client=sentry-cli/x86_64'), 'abc');
    assert.equal(sentryKeyOfAuthHeader('sentry sentry_version=7,sentry_key=def'), 'def');
    assert.equal(sentryKeyOfAuthHeader('Bearer odk_123'), null);
    assert.equal(sentryKeyOfAuthHeader('Sentry sentry_version=7'), null);
    assert.equal(sentryKeyOfAuthHeader(undefined), null);
  });

  it('reads the key and project id of a DSN', () => {
    assert.deepEqual(parseDsn('http://abc@127.0.0.1:9000/some/prefix/42'), { publicKey: 'abc', projectId: '42' });
    assert.equal(parseDsn('not a url'), null);
    assert.equal(parseDsn('http://127.0.0.1/42'), null);
    assert.equal(parseDsn(42), null);
  });
});

describe('Sentry body decoding', () => {
  it('undoes gzip, and refuses a body that decodes beyond the limit (413) or an unknown encoding (415)', async () => {
    assert.equal((await decodeBody(gzipSync(Buffer.from('hello')), 'gzip', 100)).toString(), 'hello');
    assert.equal((await decodeBody(Buffer.from('plain'), 'identity', 100)).toString(), 'plain');
    await assert.rejects(decodeBody(gzipSync(Buffer.alloc(10_000)), 'gzip', 1000), (e: unknown) => e instanceof BodyDecodeError && e.status === 413);
    await assert.rejects(decodeBody(Buffer.from('x'), 'compress', 1000), (e: unknown) => e instanceof BodyDecodeError && e.status === 415);
  });
});

describe('Sentry check-ins', () => {
  it('normalizes UUID check-in ids to 32 lower-case hex digits, and the nil UUID to none', () => {
    const read = (id: unknown) => readCheckIn({ monitor_slug: 'a', status: 'ok', check_in_id: id }).checkInId;
    assert.equal(read('83A7C03E-D0A0-4E1B-97E2-E3B18D38F244'), '83a7c03ed0a04e1b97e2e3b18d38f244');
    assert.equal(read('00000000000000000000000000000000'), null);
    assert.equal(read(undefined), null);
    assert.equal(read('run-7'), 'run-7');
    assert.throws(() => read('x'.repeat(65)), /check_in_id/);
  });

  it('slugifies as Sentry does, and refuses a slug with nothing left', () => {
    assert.equal(sentrySlug('Nightly Job'), 'nightly-job');
    assert.equal(sentrySlug('  Café -- backup_db. '), 'cafe-backup_db');
    assert.equal(sentrySlug('a'.repeat(60)), 'a'.repeat(50));
    assert.throws(() => sentrySlug('!!!'), /monitor_slug/);
  });

  it('keys the default environment by the slug and others by slug.environment', () => {
    assert.equal(monitorKeyOf('job', null), 'job');
    assert.equal(monitorKeyOf('job', 'production'), 'job');
    assert.equal(monitorKeyOf('job', 'staging'), 'job.staging');
    assert.equal(monitorKeyOf('job', 'eu west/2'), 'job.eu-west-2');
    assert.throws(() => monitorKeyOf('j'.repeat(50), 'e'.repeat(60)), /environment/);
  });

  it('reads the query form: duration as a decimal, release kept, unknown status refused', () => {
    const c = readCheckInQuery({ status: 'error', duration: '1.5', environment: 'dev', release: 'r1' }, 'job');
    assert.deepEqual([c.status, c.duration, c.environment, c.release, c.checkInId], ['error', 1.5, 'dev', 'r1', null]);
    assert.throws(() => readCheckInQuery({ status: 'ok', duration: '1e3' }, 'job'), /duration/);
    assert.throws(() => readCheckInQuery({}, 'job'), /status/);
  });

  it('names the monitor_config field at fault', () => {
    const bad: [unknown, RegExp][] = [
      [{}, /monitor_config\.schedule/],
      [{ schedule: { type: 'cron', value: '* * * * *' } }, /monitor_config\.schedule\.type/],
      [{ schedule: { type: 'crontab', value: '99 * * * *' } }, /monitor_config\.schedule\.value/],
      [{ schedule: { type: 'interval', value: 0, unit: 'day' } }, /monitor_config\.schedule\.value/],
      [{ schedule: { type: 'interval', value: 1, unit: 'second' } }, /monitor_config\.schedule\.unit/],
      [{ schedule: { type: 'crontab', value: '0 * * * *' }, timezone: 'Nowhere/City' }, /monitor_config\.timezone/],
      [{ schedule: { type: 'crontab', value: '0 * * * *' }, max_runtime: 0 }, /monitor_config\.max_runtime/],
      [{ schedule: { type: 'crontab', value: '0 * * * *' }, checkin_margin: 50_000 }, /monitor_config\.checkin_margin/],
      [{ schedule: { type: 'crontab', value: '0 * * * *' }, failure_issue_threshold: 0 }, /monitor_config\.failure_issue_threshold/],
    ];
    for (const [config, field] of bad) assert.throws(() => readMonitorConfig(config), field, JSON.stringify(config));
  });

  it('maps a config to monitor settings, with Sentry defaults for left-out fields', () => {
    assert.deepEqual(monitorInputOf(readMonitorConfig({ schedule: { type: 'crontab', value: '0 * * * *' }, owner: 'team:x' })), {
      schedule: '0 * * * *', timezone: 'UTC', grace_seconds: 60, max_runtime: 1800, failure_tolerance: 0, schedule_tolerance: 0, recovery_threshold: 1,
    });
    assert.deepEqual(monitorInputOf(readMonitorConfig({ schedule: { type: 'interval', value: 3, unit: 'day' }, checkin_margin: 0, max_runtime: 2, failure_issue_threshold: 5, recovery_threshold: 4, timezone: 'Europe/Berlin' })), {
      expected_interval_sec: 259_200, timezone: 'Europe/Berlin', grace_seconds: 0, max_runtime: 120, failure_tolerance: 4, schedule_tolerance: 4, recovery_threshold: 4,
    });
  });
});
