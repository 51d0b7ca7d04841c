/**
 * Wake-ups between nodes sharing a PostgreSQL database (LISTEN/NOTIFY): a node that sets an earlier deadline
 * or queues notifications wakes the other nodes' workers, which would otherwise find the work only at their
 * next poll.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { silentLogger } from '../../src/runtime/logger.js';
import { PostgresStore } from '../../src/storage/postgres/postgres-store.js';
import type { PgWakeBus } from '../../src/storage/postgres/wake-bus.js';
import { freshSchema, skipWithoutPostgres, TEST_DATABASE_URL, type TestSchema } from '../helpers/postgres.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';

const HORIZON_MS = 5_000;

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A node's view of the bus: every wake-up its scheduler and notifier would get. */
function recorder(bus: PgWakeBus): { deadlines: number[]; notifications: number } {
  const seen = { deadlines: [] as number[], notifications: 0 };
  bus.onDeadline((d) => seen.deadlines.push(d.getTime()));
  bus.onNotifications(() => seen.notifications++);
  return seen;
}

describe('wake-ups between nodes (PostgreSQL LISTEN/NOTIFY)', { skip: skipWithoutPostgres }, () => {
  let schema: TestSchema;
  const stores: PostgresStore[] = [];
  const buses: PgWakeBus[] = [];

  const node = async (options: { url?: string; schema?: string } = {}) => {
    const store = await PostgresStore.open({ url: options.url ?? TEST_DATABASE_URL ?? '', schema: options.schema ?? schema.schema, max: 2 });
    stores.push(store);
    const bus = await store.openWakeBus({ now: () => Date.now(), horizonMs: HORIZON_MS, logger: silentLogger, retryMs: 50 });
    buses.push(bus);
    return { store, bus, seen: recorder(bus) };
  };

  before(async () => {
    schema = await freshSchema();
  });
  after(async () => {
    await Promise.all(buses.map((b) => b.close()));
    await Promise.all(stores.map((s) => s.close()));
    await schema.drop();
  });

  it('wakes the other nodes for a deadline sooner than their poll interval, and its own workers once', async () => {
    const [a, b, c] = [await node(), await node(), await node()];
    const soon = Date.now() + 1_000;
    a.bus.deadlineChanged(new Date(soon));
    await until(() => b.seen.deadlines.includes(soon) && c.seen.deadlines.includes(soon), 'the other nodes to hear the deadline');
    await sleep(100);
    assert.deepEqual(a.seen.deadlines, [soon], 'its own scheduler is told directly, and not again by its own NOTIFY');
  });

  it('does not announce a deadline the other nodes will find by polling anyway, or one after a deadline already announced', async () => {
    const [a, b] = [await node(), await node()];
    const announced = Date.now() + 2_000;
    a.bus.deadlineChanged(new Date(Date.now() + HORIZON_MS + 60_000));
    a.bus.deadlineChanged(new Date(announced));
    await until(() => b.seen.deadlines.length === 1, 'the near deadline');
    a.bus.deadlineChanged(new Date(announced + 500)); // the schedulers woken at `announced` read it from the database then
    const earlier = announced - 1_000;
    a.bus.deadlineChanged(new Date(earlier));
    await until(() => b.seen.deadlines.length === 2, 'the earlier deadline');
    assert.deepEqual(b.seen.deadlines, [announced, earlier]);
    assert.equal(a.seen.deadlines.length, 4, 'its own scheduler hears every one');
  });

  it('wakes the other nodes\' notifiers when notifications are queued, one NOTIFY per turn of the event loop', async () => {
    const [a, b] = [await node(), await node()];
    a.bus.notificationsQueued();
    a.bus.notificationsQueued();
    a.bus.notificationsQueued();
    await until(() => b.seen.notifications >= 1, 'the notifier wake-up');
    await sleep(100);
    assert.equal(b.seen.notifications, 1);
    assert.equal(a.seen.notifications, 3);
  });

  it('keeps installations in different schemas of one database apart', async () => {
    const other = await freshSchema();
    try {
      const a = await node();
      const elsewhere = await node({ schema: other.schema });
      a.bus.notificationsQueued();
      a.bus.deadlineChanged(new Date(Date.now() + 1_000));
      await sleep(300);
      assert.deepEqual(elsewhere.seen, { deadlines: [], notifications: 0 });
    } finally {
      await other.drop();
    }
  });

  it('re-listens after the database drops its connection, waking its own workers once it is back', async () => {
    const target = new URL(TEST_DATABASE_URL ?? '');
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    try {
      const viaProxy = new URL(target);
      viaProxy.hostname = '127.0.0.1';
      viaProxy.port = String(proxy.port);
      const a = await node();
      const b = await node({ url: viaProxy.toString() });
      assert.equal(b.bus.connected, true);
      proxy.cut();
      await until(() => !b.bus.connected, 'the connection to drop');
      await sleep(200); // a few refused reconnects
      proxy.restore();
      await until(() => b.bus.connected, 'the connection to come back');
      await until(() => b.seen.notifications === 1 && b.seen.deadlines.length === 1, 'the catch-up wake-up');
      const soon = Date.now() + 1_000;
      a.bus.deadlineChanged(new Date(soon));
      await until(() => b.seen.deadlines.includes(soon), 'announcements to arrive again');
    } finally {
      await proxy.close();
    }
  });
});
