/**
 * The bodies of Cronitor's bulk `PUT /api/monitors`, in the three shapes clients send, and the answer each
 * expects back:
 * - JSON `{"monitors": [...], "rollback": bool}` (cronitor-js `Monitor.put`) → `{"monitors": [...]}`;
 * - a bare JSON array (the Cronitor CLI) → a JSON array;
 * - YAML (`applyConfig`): top-level maps `jobs:`, `heartbeats:` and `checks:` of key → attributes, and
 *   `rollback:` → the same document shape, as YAML, with each monitor's attributes as the API shows them.
 *
 * YAML is read with the `yaml` package (YAML 1.2 core schema: no custom tags, so no code runs; aliases are
 * capped at 100, so a "billion laughs" document fails instead of expanding).
 */
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { BatchItem } from '../app/monitors.js';
import { invalid } from '../domain/errors.js';
import { batchItemOf, MAX_BULK_MONITORS, type CronitorMonitor } from './cronitor-monitors.js';

export type BulkShape = 'object' | 'array' | 'yaml';

export interface BulkRequest {
  items: BatchItem[];
  /** Validate only: Cronitor runs the request in a transaction it rolls back. */
  rollback: boolean;
  shape: BulkShape;
}

/** YAML sections and the monitor type each holds. */
const SECTIONS = { jobs: 'job', heartbeats: 'heartbeat', checks: 'check' } as const;
type Section = keyof typeof SECTIONS;

/** A parsed JSON body (object or array). @throws AppError `validation_error` naming the bad part. */
export function bulkOfJson(body: unknown): BulkRequest {
  if (Array.isArray(body)) return { items: itemsOf(body, 'monitors'), rollback: false, shape: 'array' };
  if (typeof body !== 'object' || body === null) throw invalid('body', 'expected {"monitors": [...], "rollback": false} or a JSON array of monitors');
  const { monitors, rollback } = body as Record<string, unknown>;
  if (!Array.isArray(monitors)) throw invalid('monitors', 'required: a list of monitor objects');
  return { items: itemsOf(monitors, 'monitors'), rollback: rollbackOf(rollback), shape: 'object' };
}

/** A YAML document's text. @throws AppError `validation_error` for unreadable YAML or a bad attribute. */
export function bulkOfYaml(text: string): BulkRequest {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw invalid('body', `not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) doc = {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw invalid('body', 'expected a YAML map with "jobs:", "heartbeats:" and "checks:" sections');
  const d = doc as Record<string, unknown>;
  const items: BatchItem[] = [];
  for (const section of Object.keys(SECTIONS) as Section[]) {
    const entries = d[section];
    if (entries === undefined || entries === null) continue;
    if (typeof entries !== 'object' || Array.isArray(entries)) throw invalid(section, 'expected a map of monitor key → attributes');
    for (const [key, attrs] of Object.entries(entries as Record<string, unknown>)) {
      const where = `${section}.${key}`;
      const a = attrs ?? {};
      if (typeof a !== 'object' || Array.isArray(a)) throw invalid(where, 'expected a map of attributes');
      const given = (a as Record<string, unknown>).key;
      if (given !== undefined && given !== key) throw invalid(`${where}.key`, `differs from the map key "${key}"`);
      items.push(batchItemOf({ ...a, key }, where, SECTIONS[section]));
    }
  }
  // Also the JSON-like shape, for a YAML file written as {monitors: [...]}.
  if (d.monitors !== undefined) items.push(...itemsOf(Array.isArray(d.monitors) ? d.monitors : [d.monitors], 'monitors'));
  if (items.length > MAX_BULK_MONITORS) throw invalid('body', `at most ${MAX_BULK_MONITORS} monitors per request, got ${items.length}`);
  return { items, rollback: rollbackOf(d.rollback), shape: 'yaml' };
}

/** The answer to a bulk request, in the shape its client reads. */
export function bulkReply(shape: BulkShape, monitors: CronitorMonitor[]): { type: string; body: unknown } {
  if (shape === 'array') return { type: 'application/json; charset=utf-8', body: monitors };
  if (shape === 'object') return { type: 'application/json; charset=utf-8', body: { monitors } };
  return { type: 'application/yaml; charset=utf-8', body: cronitorYaml(monitors) };
}

/** Monitors as a Cronitor YAML document (`jobs:` / `heartbeats:` maps keyed by monitor key), as generateConfig writes it. */
export function cronitorYaml(monitors: CronitorMonitor[]): string {
  const doc: Partial<Record<Section, Record<string, Omit<CronitorMonitor, 'key'>>>> = {};
  for (const { key, ...attrs } of monitors) {
    const section: Section = attrs.type === 'heartbeat' ? 'heartbeats' : attrs.type === 'check' ? 'checks' : 'jobs';
    (doc[section] ??= {})[key] = attrs;
  }
  return stringifyYaml(doc);
}

function itemsOf(list: unknown[], field: string): BatchItem[] {
  if (list.length > MAX_BULK_MONITORS) throw invalid(field, `at most ${MAX_BULK_MONITORS} monitors per request, got ${list.length}`);
  return list.map((m, i) => batchItemOf(m, `${field}[${i}]`));
}

function rollbackOf(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw invalid('rollback', 'must be true or false');
  return v;
}
