/**
 * A monitor's `notify` setting (Cronitor's shape): which notification lists get its alerts, and whether the
 * lifecycle events `run` / `complete` notify too. Accepted as `["devops-list", "default"]` or
 * `{ "alerts": ["devops-list"], "events": { "run": true, "complete": true } }`; empty or omitted = `["default"]`.
 */
import { invalid } from './errors.js';

export interface Notify {
  alerts: string[];
  events: { run: boolean; complete: boolean };
}

export const DEFAULT_NOTIFY: Notify = { alerts: ['default'], events: { run: false, complete: false } };
const LIST_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function parseNotify(input: unknown, field = 'notify'): Notify {
  if (input === null || input === undefined) return DEFAULT_NOTIFY;
  if (Array.isArray(input)) return { alerts: listKeys(input, field), events: { run: false, complete: false } };
  if (typeof input !== 'object') throw invalid(field, 'expected a list of notification list keys, or {"alerts": [...], "events": {"run": true, "complete": true}}');
  const { alerts, events, ...rest } = input as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw invalid(`${field}.${extra}`, 'unknown key (expected "alerts" and "events")');
  const parsedEvents = { run: false, complete: false };
  if (events !== undefined && events !== null) {
    if (typeof events !== 'object' || Array.isArray(events)) throw invalid(`${field}.events`, 'expected {"run": true|false, "complete": true|false}');
    for (const [k, v] of Object.entries(events)) {
      if (k !== 'run' && k !== 'complete') throw invalid(`${field}.events.${k}`, 'unknown event (expected "run" or "complete")');
      if (typeof v !== 'boolean') throw invalid(`${field}.events.${k}`, 'must be true or false');
      parsedEvents[k] = v;
    }
  }
  return { alerts: alerts === undefined || alerts === null ? ['default'] : listKeys(alerts, `${field}.alerts`), events: parsedEvents };
}

function listKeys(input: unknown, field: string): string[] {
  if (!Array.isArray(input)) throw invalid(field, 'expected a list of notification list keys');
  if (input.length > 20) throw invalid(field, 'at most 20 lists');
  const keys: string[] = [];
  input.forEach((k, i) => {
    if (typeof k !== 'string') throw invalid(`${field}[${i}]`, 'expected a notification list key');
    if (k.includes(':')) throw invalid(`${field}[${i}]`, `"${k}": inline integrations like "email:…" are not supported; create a channel, add it to a notification list, and name the list`);
    if (!LIST_KEY.test(k)) throw invalid(`${field}[${i}]`, `"${k}" is not a valid list key`);
    if (!keys.includes(k)) keys.push(k);
  });
  return keys.length > 0 ? keys : ['default'];
}

/**
 * The rule rows a notify setting stands for: alerts on down, recovery, degraded runs and overlapping runs
 * (the last two only happen when `expected_runtime` / `overlap_policy: alert` ask for them), plus the chosen
 * lifecycle events.
 */
export function rulesOfNotify(notify: Notify): { listKey: string; event: string }[] {
  const events = ['on_down', 'on_recovery', 'on_degraded', 'on_overlap', ...(notify.events.run ? ['on_run'] : []), ...(notify.events.complete ? ['on_complete'] : [])];
  return notify.alerts.flatMap((listKey) => events.map((event) => ({ listKey, event })));
}
