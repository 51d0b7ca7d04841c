/**
 * `npm run bench`: pings/s and p99 latency of `GET /v1/ping/:token` with 10 000 monitors on SQLite (every
 * acknowledged ping committed with synchronous=FULL), side by side with a bare node:http server answering the
 * same request in the same run, at 50 and 200 connections. Prints the ratio, which is what to compare across
 * machines: absolute numbers drift ±20 % on shared 2-core boxes.
 *
 * `BENCH_DATABASE_URL=postgres://… npm run bench` measures the same on PostgreSQL instead (every acknowledged
 * ping committed, synchronous_commit as the server has it), in a schema of its own that it drops afterwards.
 *
 * Load comes from wrk when installed (apt-get install wrk), else autocannon, which saturates near 30k req/s
 * on one core and so understates the bare server.
 */
import { DEFAULT_RUN_RULES } from '../src/domain/run-rules.js';
import { DEFAULT_NOTIFY } from '../src/domain/notify.js';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../src/storage/sqlite/driver.js';
import autocannon from 'autocannon';
import { systemClock } from '../src/app/clock.js';
import { createProject } from '../src/app/keys.js';
import { newId, newPingToken } from '../src/app/secrets.js';
import { timingOf } from '../src/domain/timing.js';
import { initialStatus } from '../src/domain/transitions.js';
import { SqliteStore } from '../src/storage/sqlite/sqlite-store.js';
import { PostgresStore } from '../src/storage/postgres/postgres-store.js';
import type { Store } from '../src/storage/store.js';
import pg from 'pg';

const MONITORS = Number(process.env.BENCH_MONITORS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '50,200').split(',').map(Number);
/** Bare and Overdue alternate this many times per connection count; medians are reported. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const hasWrk = spawnSync('wrk', ['--version']).error === undefined;
/** PostgreSQL mode when set. */
const DATABASE_URL = process.env.BENCH_DATABASE_URL;

interface Result {
  rps: number;
  p99ms: number;
  ok: number;
}

async function seed(store: Store): Promise<string[]> {
  const project = await createProject(store, systemClock, 'bench');
  const tokens: string[] = [];
  const now = new Date();
  const config = { name: 'bench', key: '', type: 'job' as const, schedule: 'every 1 hour', timezone: 'UTC', graceSeconds: 60, tags: [], realertSeconds: 28800, notify: DEFAULT_NOTIFY, payloadScanning: null, payloadMetrics: [], assertions: [], runRules: DEFAULT_RUN_RULES };
  for (let i = 0; i < MONITORS; i += 100) {
    const batch = Array.from({ length: Math.min(100, MONITORS - i) }, (_, k) => ({ token: newPingToken(), key: `bench-${i + k}` }));
    tokens.push(...batch.map((b) => b.token));
    await Promise.all(batch.map((b) => store.insertMonitor({ ...config, key: b.key, id: newId('mon'), projectId: project.id, pingToken: b.token, createdAt: now, updatedAt: now, ...initialStatus(now, timingOf(config)) })));
  }
  await store.close();
  return tokens;
}

/** Where each Overdue run's database comes from: a fresh copy of the seeded one, and its ping count afterwards. */
interface Backend {
  /** Seeds the template; returns the monitors' tokens. */
  seed(): Promise<string[]>;
  /** A fresh copy of the template for one server run; returns its DATABASE_URL. */
  fresh(name: string): Promise<string>;
  /** Rows in `pings` of the run's database, then discards it. */
  countAndDiscard(url: string): Promise<number>;
  cleanup(): Promise<void>;
  /** For the header line; '' for SQLite (whose header stays as it always was). */
  label: string;
}

function sqliteBackend(dir: string): Backend {
  const template = join(dir, 'template.db');
  return {
    label: '',
    seed: () => seed(new SqliteStore({ path: template })),
    async fresh(name) {
      const db = join(dir, `${name}.db`);
      copyFileSync(template, db);
      return `sqlite://${db}`;
    },
    async countAndDiscard(url) {
      const path = url.slice('sqlite://'.length);
      const check = new Database(path, { readonly: true });
      const n = check.prepare('SELECT count(*) FROM pings').pluck().get() as number;
      check.close();
      rmSync(path, { force: true });
      return n;
    },
    async cleanup() {},
  };
}

/**
 * A schema of its own in BENCH_DATABASE_URL. Each run starts from the seeded monitors (restored from a copy
 * kept beside them) with no pings, vacuumed and analyzed, after a checkpoint, as perf.md's PostgreSQL runs did.
 */
function postgresBackend(databaseUrl: string): Backend {
  const schema = `bench_${newId('mon').slice(4).toLowerCase().replace(/[^a-z0-9]/g, '')}`;
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  const admin = async <T>(sql: string, inSchema = true): Promise<T[]> => {
    const client = new pg.Client({ connectionString: inSchema ? url.toString() : databaseUrl });
    await client.connect();
    try {
      return (await client.query(sql)).rows as T[];
    } finally {
      await client.end();
    }
  };
  return {
    label: ` on PostgreSQL (${url.host}${url.pathname}, schema ${schema})`,
    async seed() {
      await admin(`CREATE SCHEMA ${schema}`, false);
      const tokens = await seed(await PostgresStore.open({ url: databaseUrl, schema }));
      await admin('CREATE TABLE monitors_template AS SELECT * FROM monitors');
      return tokens;
    },
    async fresh() {
      await admin('TRUNCATE monitors, pings CASCADE; INSERT INTO monitors SELECT * FROM monitors_template');
      await admin('VACUUM ANALYZE monitors');
      await admin('VACUUM ANALYZE pings');
      await admin('CHECKPOINT').catch(() => undefined); // needs superuser (or pg_checkpoint); a nicety only
      return url.toString();
    },
    async countAndDiscard() {
      const [row] = await admin<{ n: number }>('SELECT count(*)::int AS n FROM pings');
      return row?.n ?? 0;
    },
    cleanup: () => admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`, false).then(() => undefined),
  };
}

function launch(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean), join(import.meta.dirname, 'servers.js'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      const m = /ready (\d+)/.exec(chunk.toString());
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`server ${args[0]} exited with ${code}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

function wrk(port: number, connections: number, seconds: number, script: string): Result {
  const out = execFileSync('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', script, `http://127.0.0.1:${port}`], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0);
  const p99 = /99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99ms = p99 ? Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1) : NaN;
  const total = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const bad = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  return { rps, p99ms, ok: total - bad };
}

async function cannon(port: number, connections: number, seconds: number, tokens: string[]): Promise<Result> {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections,
    duration: seconds,
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/v1/ping/${tokens[(Math.random() * tokens.length) | 0]}` }) }],
  });
  return { rps: r.requests.average, p99ms: r.latency.p99, ok: r['2xx'] };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'overdue-bench-'));
  const backend = DATABASE_URL ? postgresBackend(DATABASE_URL) : sqliteBackend(dir);
  try {
    const tokens = await backend.seed();
    const script = join(dir, 'ping.lua');
    writeFileSync(
      script,
      `local tokens = {${tokens.map((t) => `"${t}"`).join(',')}}\nmath.randomseed(os.time())\nrequest = function()\n  return wrk.format("GET", "/v1/ping/" .. tokens[math.random(#tokens)], { ["User-Agent"] = "bench" })\nend\n`,
    );
    const load = (port: number, c: number, s: number) => (hasWrk ? Promise.resolve(wrk(port, c, s, script)) : cannon(port, c, s, tokens));
    console.log(`ping benchmark${backend.label}: ${MONITORS} monitors, ${SECONDS}s per run, ${ROUNDS} alternating rounds, load from ${hasWrk ? 'wrk' : 'autocannon (install wrk for truer baselines)'}`);
    console.log('conns  server    pings/s   p99 ms   ratio (median of rounds; range)');
    let acknowledged = 0;
    let stored = 0;
    // Each server run starts from a fresh copy of the seeded database, so later rounds are not slowed by the
    // pings of earlier ones.
    for (const c of CONNECTIONS) {
      const bares: Result[] = [];
      const ours: Result[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const bare = await launch(['bare', '0']);
        await load(bare.port, c, 2);
        bares.push(await load(bare.port, c, SECONDS));
        await stop(bare.child);
        const db = await backend.fresh(`run-${c}-${round}`);
        const od = await launch(['overdue', '0', db]);
        const warm = await load(od.port, c, 2);
        const o = await load(od.port, c, SECONDS);
        await stop(od.child);
        ours.push(o);
        acknowledged += warm.ok + o.ok;
        stored += await backend.countAndDiscard(db);
      }
      const ratios = ours.map((o, i) => o.rps / bares[i]!.rps);
      const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      console.log(`${String(c).padStart(5)}  bare     ${med(bares.map((r) => r.rps)).toFixed(0).padStart(8)} ${med(bares.map((r) => r.p99ms)).toFixed(1).padStart(8)}`);
      console.log(
        `${String(c).padStart(5)}  overdue  ${med(ours.map((r) => r.rps)).toFixed(0).padStart(8)} ${med(ours.map((r) => r.p99ms)).toFixed(1).padStart(8)}   ${med(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
      );
    }
    console.log(`durability: ${acknowledged} pings acknowledged with 200, ${stored} stored${stored >= acknowledged ? ' (all acknowledged pings are in the database)' : ' — MISSING PINGS'}`);
    if (stored < acknowledged) process.exitCode = 1;
  } finally {
    await backend.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
