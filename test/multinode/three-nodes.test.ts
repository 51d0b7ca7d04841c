/**
 * Acceptance test for scale-out: three `overdue server` processes on one PostgreSQL schema, 300 monitors with
 * seconds-scale schedules, pings spread over all nodes (a client failing over to the next node, as a load
 * balancer would), one node killed with SIGKILL just before 100 monitors miss their deadlines, and restarted
 * after. Checks that every acknowledged ping is stored, that each missed monitor got exactly one down alert per
 * channel and each recovery exactly one recovery alert, and that the survivors sent the down alerts on time.
 * Real time, loopback only, about 25 s.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { childEnv, CLI_MAIN } from '../cli/cli-harness.js';
import { startReceiver, type Receiver } from '../helpers/http-receiver.js';
import { freshSchema, querySchema, skipWithoutPostgres, type TestSchema } from '../helpers/postgres.js';

const KEY = 'odk_three_nodes_bootstrap_key_0123456789';
const MONITORS = 300;
const VICTIMS = 100; // monitors 0..99 stop pinging, go down, then recover
const INTERVAL_S = 3;
const GRACE_S = 2;
/** How late after its deadline a down alert may arrive, node kill included. */
const MAX_ALERT_LAG_MS = 4_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Node {
  child: ChildProcess;
  url: string;
  output: string[];
}

/** Starts `overdue server` and resolves once its banner names the URL it listens on. */
function startNode(databaseUrl: string): Promise<Node> {
  const child = spawn(process.execPath, [CLI_MAIN, 'server', '--port', '0', '--host', '127.0.0.1'], {
    env: childEnv({ DATABASE_URL: databaseUrl, OVERDUE_BOOTSTRAP_API_KEY: KEY, OVERDUE_ALLOW_PRIVATE_TARGETS: 'true', LOG_LEVEL: 'warn' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`node did not start within 15 s:\n${output.join('')}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      output.push(chunk.toString());
      const url = /listening on (http:\/\/\S+)/.exec(output.join(''))?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, output });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`node exited (${code ?? signal}) while starting:\n${output.join('')}`));
    });
  });
}

function kill(node: Node, signal: NodeJS.Signals): Promise<void> {
  if (node.child.exitCode !== null || node.child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    node.child.once('exit', () => resolve());
    node.child.kill(signal);
  });
}

describe('three nodes on one PostgreSQL database', { skip: skipWithoutPostgres, timeout: 90_000 }, () => {
  let schema: TestSchema;
  let hook: Receiver;
  const nodes: Node[] = [];
  /** Ends the ping rounds (also when the test fails half-way). */
  let stopped = false;

  before(async () => {
    schema = await freshSchema();
    hook = await startReceiver();
  });
  after(async () => {
    stopped = true;
    await Promise.all(nodes.map((n) => kill(n, 'SIGKILL')));
    await hook?.close();
    await schema?.drop();
  });

  const t0 = Date.now();
  const mark = (what: string) => process.env.DEBUG_MULTINODE && console.log(`${Date.now() - t0} ms: ${what}`);
  it('stores every acknowledged ping and alerts exactly once per channel, on time, while a node is killed and restarted', async () => {
    // All three start at once on the empty schema with one bootstrap key: one project, one key.
    nodes.push(...(await Promise.all([startNode(schema.url), startNode(schema.url), startNode(schema.url)])));
    const api = async (method: string, path: string, body?: unknown) => {
      const res = await fetch(nodes[0]!.url + path, {
        method,
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = (await res.json()) as any;
      assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    mark('nodes up');
    const hookA = await api('POST', '/v1/channels', { name: 'hook-a', kind: 'webhook', config: { url: hook.url('/a') } });
    const hookB = await api('POST', '/v1/channels', { name: 'hook-b', kind: 'webhook', config: { url: hook.url('/b') } });
    await api('PATCH', '/v1/notification-lists/default', { channels: [hookA.id, hookB.id] });
    const seen = hook.received.length;

    /** Acknowledged pings per monitor, and when the last one was acknowledged. */
    const acked = new Array<number>(MONITORS).fill(0);
    const lastAck = new Array<number>(MONITORS).fill(0);
    let attempts = 0;
    /** One ping, sent to `first` and, if that node does not answer, to the next ones (as a load balancer would). */
    const ping = async (i: number, token: string, first: number) => {
      for (let k = 0; k < nodes.length; k++) {
        const node = nodes[(first + k) % nodes.length]!;
        attempts++;
        try {
          const res = await fetch(`${node.url}/v1/ping/${token}`, { signal: AbortSignal.timeout(2_000) });
          await res.arrayBuffer();
          if (res.status === 200) {
            acked[i]!++;
            lastAck[i] = Date.now();
            return;
          }
        } catch {
          // refused or reset: the node is down, try the next
        }
      }
    };

    // 300 monitors, each pinged right after it is created and then every second by the rounds, which start at
    // once: on a slow machine creating them all takes longer than a monitor's interval.
    const tokens: (string | undefined)[] = new Array<string | undefined>(MONITORS);
    const ids: string[] = new Array<string>(MONITORS);
    let round = 0;
    let pinging = (i: number) => i >= 0;
    const pingRounds = (async () => {
      while (!stopped) {
        const started = Date.now();
        round++;
        await Promise.all(tokens.map((t, i) => (t !== undefined && pinging(i) ? ping(i, t, (i + round) % nodes.length) : undefined)));
        await sleep(Math.max(0, 1_000 - (Date.now() - started)));
      }
    })();
    for (let start = 0; start < MONITORS; start += 25) {
      await Promise.all(
        Array.from({ length: Math.min(25, MONITORS - start) }, async (_, k) => {
          const i = start + k;
          const m = await api('POST', '/v1/monitors', { name: `job-${i}`, expected_interval_sec: INTERVAL_S, grace_seconds: GRACE_S });
          ids[i] = m.id;
          await ping(i, m.ping_token, i % 3);
          tokens[i] = m.ping_token;
        }),
      );
    }
    mark('monitors created');

    await sleep(3_000); // steady state: everything up, nothing alerted
    assert.equal(hook.received.length, seen, 'no alerts while every monitor is pinged');

    // The victims stop; they go late after INTERVAL_S and down GRACE_S later. Just before that, one node dies.
    mark('steady state checked');
    pinging = (i) => i >= VICTIMS;
    await sleep(200); // let the round in flight finish
    const lastBeforeStop = [...lastAck];
    const downDueAt = (i: number) => lastBeforeStop[i]! + (INTERVAL_S + GRACE_S) * 1000;
    const firstDown = Math.min(...Array.from({ length: VICTIMS }, (_, i) => downDueAt(i)));
    await sleep(Math.max(0, firstDown - 1_000 - Date.now()));
    // It stays in the clients' rotation until it is back: pings sent to it fail over to the others.
    await kill(nodes[2]!, 'SIGKILL');
    await sleep(Math.max(0, firstDown + 1_500 - Date.now()));
    mark('node killed, waiting');
    nodes[2] = await startNode(schema.url); // restarted after the deadlines passed

    const deliveries = (event: string) => hook.received.slice(seen).filter((r) => r.json?.event === event);
    const until = async (what: string, done: () => boolean, timeoutMs: number) => {
      const end = Date.now() + timeoutMs;
      while (!done()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await sleep(50);
      }
    };
    mark('node restarted');
    await until('the down alerts', () => deliveries('on_down').length >= 2 * VICTIMS, 10_000);

    // The victims come back, on all nodes (the restarted one included).
    mark('down alerts in');
    pinging = (i) => i >= 0;
    await until('the recovery alerts', () => deliveries('on_recovery').length >= 2 * VICTIMS, 8_000);
    mark('recovery alerts in');
    stopped = true;
    await pingRounds;
    await sleep(1_000); // any duplicate would arrive now

    // Every acknowledged ping is stored (some unacknowledged ones may be too: the killed node may have committed
    // a batch it never answered).
    const stored = new Map(
      (await querySchema<{ monitor_id: string; n: number }>(schema, 'SELECT monitor_id, count(*)::int AS n FROM pings GROUP BY monitor_id')).map((r) => [r.monitor_id, r.n]),
    );
    ids.forEach((id, i) => assert.ok((stored.get(id) ?? 0) >= acked[i]!, `monitor ${i}: ${acked[i]} pings acknowledged, ${stored.get(id) ?? 0} stored`));
    assert.ok(acked.reduce((a, b) => a + b, 0) > MONITORS * 8, 'pings were flowing throughout');
    assert.ok(attempts > acked.reduce((a, b) => a + b, 0), 'some pings hit the killed node and failed over');

    // Exactly the victims went down, and each alert went out once per channel.
    const downFlips = await querySchema<{ monitor_id: string; n: number }>(schema, "SELECT monitor_id, count(*)::int AS n FROM flips WHERE to_state = 'down' GROUP BY monitor_id");
    const victimIds = new Set(ids.slice(0, VICTIMS));
    assert.deepEqual(downFlips.filter((f) => !victimIds.has(f.monitor_id)), [], 'only monitors that stopped pinging went down');
    assert.equal(downFlips.length, VICTIMS);
    assert.ok(downFlips.every((f) => f.n === 1));
    for (const event of ['on_down', 'on_recovery']) {
      const perMonitorAndChannel = new Map<string, number>();
      for (const d of deliveries(event)) perMonitorAndChannel.set(`${d.json.monitor.id} ${d.url}`, (perMonitorAndChannel.get(`${d.json.monitor.id} ${d.url}`) ?? 0) + 1);
      for (const id of victimIds) {
        for (const path of ['/a', '/b']) assert.equal(perMonitorAndChannel.get(`${id} ${path}`), 1, `${event} for ${id} on ${path}`);
      }
      assert.equal(perMonitorAndChannel.size, 2 * VICTIMS, `${event} only for the victims`);
    }
    assert.equal(hook.received.length - seen, 4 * VICTIMS, 'nothing else was sent');

    // The survivors did not wait for the dead node: every down alert arrived soon after its deadline.
    const lags = deliveries('on_down').map((d) => d.at - downDueAt(ids.indexOf(d.json.monitor.id)));
    const worst = Math.max(...lags);
    if (process.env.DEBUG_MULTINODE) {
      const rows = await querySchema<{ monitor_id: string; flip_at: Date; sent_at: Date; attempts: number }>(schema, "SELECT monitor_id, flip_at, sent_at, attempts FROM notifications WHERE event = 'on_down'");
      const flipLag = rows.map((r) => r.flip_at.getTime() - downDueAt(ids.indexOf(r.monitor_id))).sort((x, y) => x - y);
      const sendLag = rows.map((r) => r.sent_at.getTime() - r.flip_at.getTime()).sort((x, y) => x - y);
      const pct = (xs: number[], p: number) => xs[Math.floor((xs.length - 1) * p)];
      mark(`flip.at - due: p50 ${pct(flipLag, 0.5)} max ${pct(flipLag, 1)}; sent - flip: p50 ${pct(sendLag, 0.5)} max ${pct(sendLag, 1)}; attempts max ${Math.max(...rows.map((r) => r.attempts))}`);
    }
    mark(`down alert lag: median ${[...lags].sort((x, y) => x - y)[lags.length >> 1]} ms, worst ${worst} ms; ${attempts} ping attempts`);
    assert.ok(worst <= MAX_ALERT_LAG_MS, `a down alert arrived ${worst} ms after its deadline`);
  });
});
