/** Monitor use cases shared by the HTTP API and the CLI: load → domain → persist. */
import { AppError, invalid, notFound } from '../domain/errors.js';
import type { Monitor, MonitorConfig } from '../domain/monitor.js';
import { mergeMonitorConfig, newMonitorConfig, type MonitorConfigInput } from '../domain/monitor-config.js';
import { rulesOfNotify } from '../domain/notify.js';
import { applyEvent, initialStatus, type MonitorEvent, type Transition } from '../domain/transitions.js';
import type { MonitorFilter, Page } from '../storage/store.js';
import type { AppContext } from './context.js';
import { newId, newPingToken } from './secrets.js';
import { timingOf } from '../domain/timing.js';

/** A create or update request: the monitor's config, plus optionally a ping token chosen by the client. */
export interface MonitorWrite extends MonitorConfigInput {
  /**
   * Keeps the URL a job already pings (e.g. the UUID of a healthchecks.io check): 32–128 characters of letters,
   * digits, ".", "_", "~" or "-", unique across all projects. Default (create): a new random `mping_…` secret.
   */
  ping_token?: string;
}

export const MIN_PING_TOKEN_LENGTH = 32;
export const MAX_PING_TOKEN_LENGTH = 128;
const PING_TOKEN = /^[A-Za-z0-9._~-]+$/;

/** The ping token as given, or a validation error naming `ping_token`: it is a secret, so it must be long. */
function checkedPingToken(token: string): string {
  if (token.length < MIN_PING_TOKEN_LENGTH || token.length > MAX_PING_TOKEN_LENGTH) {
    throw invalid('ping_token', `must be ${MIN_PING_TOKEN_LENGTH}–${MAX_PING_TOKEN_LENGTH} characters (it is the secret of the ping URL), got ${token.length}`);
  }
  if (!PING_TOKEN.test(token)) throw invalid('ping_token', 'may contain only letters, digits, ".", "_", "~" and "-" (it goes into URLs)');
  return token;
}

/** The monitor a create would insert, without inserting it. */
function newMonitor(ctx: AppContext, projectId: string, input: MonitorWrite): Monitor {
  const config = newMonitorConfig(input);
  const now = ctx.clock.now();
  return {
    id: newId('mon'),
    projectId,
    pingToken: input.ping_token === undefined ? newPingToken() : checkedPingToken(input.ping_token),
    createdAt: now,
    updatedAt: now,
    ...config,
    ...initialStatus(now, timingOf(config)),
  };
}

/** Throws AppError `conflict` (field `key` or `ping_token`) when the key or the chosen ping token is taken. */
export async function createMonitor(ctx: AppContext, projectId: string, input: MonitorWrite): Promise<Monitor> {
  const monitor = newMonitor(ctx, projectId, input);
  const derivedKey = monitor.key;
  const now = monitor.createdAt;
  // A key derived from the name may collide with another monitor's; a key the user chose must not be changed.
  for (let attempt = 0; ; attempt++) {
    try {
      await ctx.store.insertMonitor(monitor);
      break;
    } catch (err) {
      const derived = input.key === undefined;
      if (!(err instanceof AppError && err.field === 'key' && derived && attempt < 5)) throw err;
      monitor.key = `${derivedKey.slice(0, 90)}-${newId('mon').slice(-6).toLowerCase()}`;
    }
  }
  try {
    await ctx.store.setNotifyRules(projectId, monitor.id, rulesOfNotify(monitor.notify), now);
  } catch (err) {
    await ctx.store.deleteMonitor(projectId, monitor.id); // an unknown list key: the monitor must not half-exist
    throw err;
  }
  ctx.deadlineChanged(monitor.deadline);
  return monitor;
}

export async function getMonitor(ctx: AppContext, projectId: string, id: string): Promise<Monitor> {
  const monitor = await ctx.store.getMonitor(projectId, id);
  if (!monitor) throw notFound(`monitor ${id}`);
  return monitor;
}

export function listMonitors(ctx: AppContext, projectId: string, filter: MonitorFilter): Promise<Page<Monitor>> {
  return ctx.store.listMonitors(projectId, filter);
}

/** The project's monitor whose key is exactly `key`, or null. */
export async function getMonitorByKey(ctx: AppContext, projectId: string, key: string): Promise<Monitor | null> {
  const project = await ctx.store.getProject(projectId);
  return project ? ctx.store.getMonitorBySlug(project.pingKey, key) : null;
}

/** Throws AppError `conflict` (field `key` or `ping_token`) when a changed key or ping token is taken. */
export async function updateMonitor(ctx: AppContext, projectId: string, id: string, input: MonitorWrite): Promise<Monitor> {
  const pingToken = input.ping_token === undefined ? undefined : checkedPingToken(input.ping_token);
  if (input.notify !== undefined) {
    // Checked (and the rules replaced) first: an unknown list key must leave the monitor untouched.
    const monitor = await getMonitor(ctx, projectId, id);
    const merged = mergeMonitorConfig(monitor, input); // every field valid before anything is written
    await ctx.store.setNotifyRules(projectId, monitor.id, rulesOfNotify(merged.notify), ctx.clock.now());
  }
  return mutate(ctx, projectId, id, (current) => {
    const config = mergeMonitorConfig(current, input);
    const timingChanged =
      config.schedule !== current.schedule ||
      config.timezone !== current.timezone ||
      config.graceSeconds !== current.graceSeconds ||
      JSON.stringify(config.runRules) !== JSON.stringify(current.runRules); // run timeouts move the deadline
    const next = { ...current, ...config, ...(pingToken === undefined ? {} : { pingToken }) };
    return timingChanged ? { monitor: next, event: { type: 'reschedule' } } : { monitor: next, event: null };
  });
}

export function pauseMonitor(ctx: AppContext, projectId: string, id: string, hours: number | undefined): Promise<Monitor> {
  const until = hours === undefined ? null : new Date(ctx.clock.now().getTime() + hours * 3_600_000);
  return mutate(ctx, projectId, id, (m) => ({ monitor: m, event: { type: 'pause', until } }));
}

export function resumeMonitor(ctx: AppContext, projectId: string, id: string): Promise<Monitor> {
  return mutate(ctx, projectId, id, (m) => ({ monitor: m, event: { type: 'resume' } }));
}

export async function deleteMonitor(ctx: AppContext, projectId: string, id: string): Promise<void> {
  if (!(await ctx.store.deleteMonitor(projectId, id))) throw notFound(`monitor ${id}`);
}

type Change = (current: Monitor) => { monitor: Monitor; event: MonitorEvent | null };

/** Read, change, compare-and-set; retried when a ping or the scheduler wrote the monitor in between. */
async function mutate(ctx: AppContext, projectId: string, id: string, change: Change): Promise<Monitor> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const current = await getMonitor(ctx, projectId, id);
    const now = ctx.clock.now();
    const { monitor, event } = change(current);
    let next: Monitor = { ...monitor, updatedAt: now, version: current.version + 1 };
    let effects: Pick<Transition, 'flips' | 'runs'> = { flips: [], runs: [] };
    if (event) {
      const t = applyEvent(monitor, event, now, timingOf(monitor));
      next = { ...next, ...t.status, updatedAt: now, version: current.version + 1 };
      effects = t;
    }
    const { flips, runs } = effects;
    if (await ctx.store.updateMonitor(next, current.version, flips, [], runs)) {
      ctx.deadlineChanged(next.deadline);
      if (flips.length > 0) ctx.flipped();
      return next;
    }
  }
  throw new AppError('conflict', 'the monitor is changing too fast; try again');
}

/** One monitor of a batch, addressed by its key: updated when the project has a monitor with that key, else created. */
export interface BatchItem {
  key: string;
  /** The attributes to set (`key` is the item's key); on update, absent ones keep their value. */
  input: MonitorWrite;
  /** true pauses (without an end), false resumes; undefined leaves it as it is. */
  paused?: boolean;
}

export interface BatchOptions {
  /** Validate everything and return the monitors as they would be, writing nothing. */
  dryRun?: boolean;
  /** Completes the input of a monitor about to be created (e.g. with a default schedule). */
  forCreate?: (input: MonitorWrite) => MonitorWrite;
}

/**
 * Creates or updates several monitors by key, all or nothing: every item is checked (its config, its notification
 * lists, keys and ping tokens unique) before anything is written, and should a write still fail (a concurrent
 * change took a key or a ping token) the writes already done are undone before the error is rethrown.
 * Returns the monitors in input order: as written, or with `dryRun` as they would be (new ones with fresh ids).
 * @throws AppError with the field prefixed by `monitors[i].` and the message naming the item's key.
 */
export async function upsertMonitors(ctx: AppContext, projectId: string, items: BatchItem[], options: BatchOptions = {}): Promise<Monitor[]> {
  const forCreate = options.forCreate ?? ((input: MonitorWrite) => input);
  const lists = new Set((await ctx.store.listLists(projectId)).map((l) => l.key));
  const seenKeys = new Set<string>();
  const seenTokens = new Set<string>();
  const plans: { item: BatchItem; input: MonitorWrite; existing: Monitor | null; preview: Monitor }[] = [];
  for (const [i, item] of items.entries()) {
    const plan = await inItem(i, item.key, async () => {
      if (seenKeys.has(item.key)) throw invalid('key', `"${item.key}" appears more than once in this request`);
      seenKeys.add(item.key);
      const existing = await getMonitorByKey(ctx, projectId, item.key);
      const input: MonitorWrite = existing ? { ...item.input, key: item.key } : forCreate({ ...item.input, key: item.key });
      const token = input.ping_token === undefined ? undefined : checkedPingToken(input.ping_token);
      const preview: Monitor = existing ? { ...existing, ...mergeMonitorConfig(existing, input), ...(token ? { pingToken: token } : {}) } : newMonitor(ctx, projectId, input);
      // Only a notify being set is checked: a list deleted since must not block unrelated changes.
      const unknownList = existing && input.notify === undefined ? undefined : preview.notify.alerts.find((key) => !lists.has(key));
      if (unknownList !== undefined) throw invalid('notify', `unknown notification list "${unknownList}"`);
      if (token !== undefined) {
        const holder = await ctx.store.getMonitorByToken(token);
        if (seenTokens.has(token) || (holder && holder.id !== existing?.id)) throw new AppError('conflict', 'ping_token: already used by another monitor', 'ping_token');
        seenTokens.add(token);
      }
      return { item, input, existing, preview };
    });
    plans.push(plan);
  }
  if (options.dryRun) {
    // A pause or resume shows as its state: paused, or pending (what a resumed monitor waits in).
    return plans.map(({ item, preview }) =>
      item.paused === undefined || item.paused === (preview.state === 'paused') ? preview : { ...preview, state: item.paused ? 'paused' : 'pending', pausedUntil: null },
    );
  }

  const undo: (() => Promise<unknown>)[] = [];
  try {
    const written: Monitor[] = [];
    for (const [i, { item, input, existing }] of plans.entries()) {
      written.push(
        await inItem(i, item.key, async () => {
          let monitor: Monitor;
          if (existing) {
            monitor = await updateMonitor(ctx, projectId, existing.id, input);
            undo.push(() => restoreMonitor(ctx, existing));
          } else {
            monitor = await createMonitor(ctx, projectId, input);
            undo.push(() => deleteMonitor(ctx, projectId, monitor.id));
          }
          if (item.paused === true && monitor.state !== 'paused') {
            monitor = await pauseMonitor(ctx, projectId, monitor.id, undefined);
            undo.push(() => resumeMonitor(ctx, projectId, monitor.id));
          } else if (item.paused === false && monitor.state === 'paused') {
            const until = monitor.pausedUntil;
            monitor = await resumeMonitor(ctx, projectId, monitor.id);
            undo.push(() => pauseMonitor(ctx, projectId, monitor.id, until ? (until.getTime() - ctx.clock.now().getTime()) / 3_600_000 : undefined));
          }
          return monitor;
        }),
      );
    }
    return written;
  } catch (err) {
    for (const step of undo.reverse()) await step().catch(() => undefined); // best effort: the first error is the one to report
    throw err;
  }
}

/** Runs one item's step, naming the item in any AppError it throws. */
async function inItem<T>(i: number, key: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const field = err.field === undefined ? `monitors[${i}]` : `monitors[${i}].${err.field}`;
    throw new AppError(err.code, `monitors[${i}] ("${key}"): ${err.message}`, field);
  }
}

const CONFIG_FIELDS: Record<keyof MonitorConfig, true> = {
  name: true, key: true, type: true, schedule: true, timezone: true, graceSeconds: true, tags: true, realertSeconds: true, notify: true,
  payloadScanning: true, payloadMetrics: true, assertions: true, runRules: true, extra: true,
};

/** Puts back a monitor's config, ping token and notification rules as they were in `before` (undoing an update). */
async function restoreMonitor(ctx: AppContext, before: Monitor): Promise<void> {
  const config = Object.fromEntries(Object.keys(CONFIG_FIELDS).map((k) => [k, before[k as keyof MonitorConfig]])) as Partial<Monitor>;
  await ctx.store.setNotifyRules(before.projectId, before.id, rulesOfNotify(before.notify), ctx.clock.now());
  await mutate(ctx, before.projectId, before.id, (current) => ({ monitor: { ...current, ...config, pingToken: before.pingToken }, event: { type: 'reschedule' } }));
}
