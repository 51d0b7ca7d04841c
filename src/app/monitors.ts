/** Monitor use cases shared by the HTTP API and the CLI: load → domain → persist. */
import { AppError, notFound } from '../domain/errors.js';
import type { Monitor } from '../domain/monitor.js';
import { mergeMonitorConfig, newMonitorConfig, type MonitorConfigInput } from '../domain/monitor-config.js';
import { rulesOfNotify } from '../domain/notify.js';
import { applyEvent, initialStatus, type MonitorEvent, type Transition } from '../domain/transitions.js';
import type { MonitorFilter, Page } from '../storage/store.js';
import type { AppContext } from './context.js';
import { newId, newPingToken } from './secrets.js';
import { timingOf } from '../domain/timing.js';

export async function createMonitor(ctx: AppContext, projectId: string, input: MonitorConfigInput): Promise<Monitor> {
  const config = newMonitorConfig(input);
  const now = ctx.clock.now();
  const monitor: Monitor = {
    id: newId('mon'),
    projectId,
    pingToken: newPingToken(),
    createdAt: now,
    updatedAt: now,
    ...config,
    ...initialStatus(now, timingOf(config)),
  };
  // A key derived from the name may collide with another monitor's; a key the user chose must not be changed.
  for (let attempt = 0; ; attempt++) {
    try {
      await ctx.store.insertMonitor(monitor);
      break;
    } catch (err) {
      const derived = input.key === undefined;
      if (!(err instanceof AppError && err.field === 'key' && derived && attempt < 5)) throw err;
      monitor.key = `${config.key.slice(0, 90)}-${newId('mon').slice(-6).toLowerCase()}`;
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

export async function updateMonitor(ctx: AppContext, projectId: string, id: string, input: MonitorConfigInput): Promise<Monitor> {
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
    const next = { ...current, ...config };
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
