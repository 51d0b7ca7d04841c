import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Monitor } from '../../src/domain/monitor.js';
import { DEFAULT_NOTIFY } from '../../src/domain/notify.js';
import type { PingInput } from '../../src/domain/ping.js';
import { decidePing } from '../../src/domain/ping-decision.js';
import { timingOf } from '../../src/domain/timing.js';
import { initialStatus } from '../../src/domain/transitions.js';

const T0 = new Date('2026-01-05T10:00:00.000Z');
const config = { name: 'scan', key: 'scan', type: 'job' as const, schedule: 'every 1 hour', timezone: 'UTC', graceSeconds: 60, tags: [], realertSeconds: 0, notify: DEFAULT_NOTIFY };
const monitor = (scanning: Monitor['payloadScanning']): Monitor => ({
  ...config,
  payloadScanning: scanning,
  payloadMetrics: [],
  id: 'mon_x',
  projectId: 'prj_x',
  pingToken: 'mping_x',
  createdAt: T0,
  updatedAt: T0,
  ...initialStatus(T0, timingOf({ ...config })),
});
const ping = (kind: PingInput['kind'], body: string | null, msg: string | null = null) => ({ kind, exitCode: kind === 'fail' ? 1 : null, receivedAt: T0, body: body === null ? null : Buffer.from(body), msg });

describe('payload scanning decides what a success ping means', () => {
  const rules = { successKeywords: ['backup complete'], failureKeywords: ['ERROR', 'FATAL'] };
  const cases: { name: string; scanning: Monitor['payloadScanning']; ping: ReturnType<typeof ping>; state: string; reason?: RegExp }[] = [
    { name: 'a failure keyword in the body makes it a failure, naming the keyword', scanning: rules, ping: ping('success', 'step 1\nerror: disk full'), state: 'down', reason: /failure keyword "ERROR" found/ },
    { name: 'failure wins over success', scanning: rules, ping: ping('success', 'Backup complete, but FATAL later'), state: 'down', reason: /"FATAL"/ },
    { name: 'a failure keyword in msg counts too', scanning: rules, ping: ping('success', null, 'FATAL: no space'), state: 'down' },
    { name: 'the success keyword (any case) makes it a success', scanning: rules, ping: ping('success', 'BACKUP COMPLETE in 3 min'), state: 'up' },
    { name: 'no success keyword found is a failure when success keywords are set', scanning: rules, ping: ping('success', 'done?'), state: 'down', reason: /none of the success keywords/ },
    { name: 'only failure keywords: a clean output stays a success', scanning: { successKeywords: [], failureKeywords: ['ERROR'] }, ping: ping('success', 'all good'), state: 'up' },
    { name: 'a failure ping stays a failure even with a success keyword', scanning: rules, ping: ping('fail', 'backup complete'), state: 'down' },
    { name: 'start pings are not scanned', scanning: rules, ping: ping('start', 'ERROR in preflight'), state: 'running' },
    { name: 'without scanning the endpoint decides', scanning: null, ping: ping('success', 'ERROR everywhere'), state: 'up' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const t = decidePing(monitor(c.scanning), c.ping);
      assert.equal(t.status.state, c.state);
      if (c.reason) assert.match(t.flips[0]!.reason, c.reason);
    });
  }
});
