/** `overdue monitors list|create|get|pause|resume|delete`: thin wrappers over /v1/monitors. */
import { Option, type Command } from 'commander';
import { MONITOR_STATES, MONITOR_TYPES } from '../domain/monitor.js';
import { clientFor } from './api-client.js';
import { addClientOptions, collect, integerIn, positiveNumberUpTo, wantsJson } from './options.js';
import { formatFields, formatInstant, formatTable, printJson, printLine } from './output.js';

/** The fields of the API's monitor JSON that the CLI reads; the rest is printed as is. */
interface MonitorJson {
  id: string;
  name: string;
  state: string;
  down_reason: string | null;
  schedule: string;
  timezone: string;
  last_ping_at: string | null;
  next_expected_at: string | null;
  [field: string]: unknown;
}

interface MonitorPage {
  items: MonitorJson[];
  total: number;
  limit: number;
  offset: number;
}

interface ListOptions {
  state?: string;
  tag?: string;
  limit?: number;
  offset?: number;
}

interface CreateOptions {
  name: string;
  interval?: number;
  schedule?: string;
  timezone?: string;
  grace?: string;
  key?: string;
  tag?: string[];
  type?: string;
}

const MAX_PAUSE_HOURS = 24 * 366;

export function registerMonitorsCommands(program: Command): void {
  const monitors = program.command('monitors').description('list, create, inspect, pause, resume and delete monitors');

  addClientOptions(monitors.command('list').description('list monitors'))
    .addOption(new Option('--state <state>', 'only monitors in this state').choices(MONITOR_STATES))
    .option('--tag <tag>', 'only monitors with this tag')
    .option('--limit <n>', 'at most this many (1–500, default 50)', integerIn(1, 500))
    .option('--offset <n>', 'skip this many', integerIn(0, Number.MAX_SAFE_INTEGER))
    .action(async (opts: ListOptions, command: Command) => {
      const page = await clientFor(command).request<MonitorPage>('GET', '/v1/monitors', { query: { ...opts } });
      if (wantsJson(command)) return printJson(page);
      printMonitorTable(page);
    });

  addClientOptions(monitors.command('create').description('create a monitor and print its ping URL'))
    .requiredOption('--name <name>', 'display name')
    .addOption(new Option('--interval <seconds>', 'expect a ping every this many seconds').argParser(integerIn(1, Number.MAX_SAFE_INTEGER)).conflicts('schedule'))
    .option('--schedule <expr>', 'cron expression, "every 5 minutes", "hourly", "daily", "at 14:30", …')
    .option('--timezone <tz>', 'IANA time zone for cron and "at" schedules (default UTC)')
    .option('--grace <duration>', 'how late a ping may be: seconds or e.g. "10m", "1h" (default 60 s)')
    .option('--key <key>', 'unique key within the project (default: from the name)')
    .option('--tag <tag>', 'a tag; repeat for several', collect)
    .addOption(new Option('--type <type>', 'kind of monitor (default job)').choices(MONITOR_TYPES))
    .action(async (opts: CreateOptions, command: Command) => {
      const monitor = await clientFor(command).request<MonitorJson>('POST', '/v1/monitors', { json: createBody(opts) });
      printMonitor(command, monitor);
    });

  addClientOptions(monitors.command('get').description("show one monitor's fields").argument('<id>', 'monitor ID'))
    .action(async (id: string, _opts: unknown, command: Command) => {
      printMonitor(command, await clientFor(command).request<MonitorJson>('GET', monitorPath(id)));
    });

  addClientOptions(monitors.command('pause').description('stop evaluating a monitor and alerting on it').argument('<id>', 'monitor ID'))
    .option('--hours <n>', 'resume automatically after this many hours', positiveNumberUpTo(MAX_PAUSE_HOURS))
    .action(async (id: string, opts: { hours?: number }, command: Command) => {
      const json = opts.hours === undefined ? undefined : { hours: opts.hours };
      printMonitor(command, await clientFor(command).request<MonitorJson>('POST', `${monitorPath(id)}/pause`, { json }));
    });

  addClientOptions(monitors.command('resume').description('resume a paused monitor').argument('<id>', 'monitor ID'))
    .action(async (id: string, _opts: unknown, command: Command) => {
      printMonitor(command, await clientFor(command).request<MonitorJson>('POST', `${monitorPath(id)}/resume`));
    });

  addClientOptions(monitors.command('delete').description('delete a monitor and its history').argument('<id>', 'monitor ID'))
    .action(async (id: string, _opts: unknown, command: Command) => {
      await clientFor(command).request('DELETE', monitorPath(id));
      // The API answers 204 without a body, so --json has nothing to print; the exit code says it worked.
      if (!wantsJson(command)) printLine(`deleted ${id}`);
    });
}

function monitorPath(id: string): string {
  return `/v1/monitors/${encodeURIComponent(id)}`;
}

function createBody(opts: CreateOptions): Record<string, unknown> {
  return {
    name: opts.name,
    expected_interval_sec: opts.interval,
    schedule: opts.schedule,
    timezone: opts.timezone,
    // The API reads a number as seconds and a string as a duration ("10m"); "120" is meant as a number.
    grace_seconds: opts.grace === undefined ? undefined : /^\d+$/.test(opts.grace) ? Number(opts.grace) : opts.grace,
    key: opts.key,
    tags: opts.tag,
    type: opts.type,
  };
}

function printMonitor(command: Command, monitor: MonitorJson): void {
  if (wantsJson(command)) return printJson(monitor);
  printLine(formatFields(monitor));
}

function printMonitorTable(page: MonitorPage): void {
  const rows = page.items.map((m) => [
    m.id,
    m.name,
    m.state === 'down' && m.down_reason ? `down (${m.down_reason})` : m.state,
    m.timezone === 'UTC' ? m.schedule : `${m.schedule} (${m.timezone})`,
    formatInstant(m.last_ping_at),
    formatInstant(m.next_expected_at),
  ]);
  if (rows.length > 0) printLine(formatTable(['ID', 'NAME', 'STATE', 'SCHEDULE', 'LAST PING', 'NEXT EXPECTED'], rows));
  const from = page.offset > 0 ? ` (from offset ${page.offset})` : '';
  printLine(`${page.items.length} of ${page.total} monitor${page.total === 1 ? '' : 's'}${from}`);
}
