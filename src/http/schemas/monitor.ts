import Type from 'typebox';
import { MONITOR_STATES, MONITOR_TYPES } from '../../domain/monitor.js';
import { PING_KINDS } from '../../domain/ping.js';
import { OVERLAP_POLICIES } from '../../domain/run-rules.js';
import { RUN_OUTCOMES } from '../../domain/runs.js';
import { NullableInteger, NullableString, Timestamp } from './common.js';

const literals = <const T extends readonly string[]>(values: T) => Type.Enum<[...T]>(values);
const Duration = Type.Union([Type.Number({ minimum: 0 }), Type.String({ minLength: 1, maxLength: 50 })], {
  description: 'Seconds, or a duration string such as "90s", "10m", "1h", "2 minutes"',
});

export const MonitorState = literals(MONITOR_STATES);

const Keywords = Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 20 })]);

export const MonitorInput = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    key: Type.Optional(Type.String({ minLength: 1, maxLength: 100, description: 'Unique per project; defaults to a slug of the name' })),
    type: Type.Optional(literals(MONITOR_TYPES)),
    schedule: Type.Optional(
      Type.String({ minLength: 1, maxLength: 200, description: 'Cron (5 fields, macros, L/W/#), "every 5 minutes", "hourly", "daily", "weekly" or "at 14:30"' }),
    ),
    expected_interval_sec: Type.Optional(Type.Integer({ minimum: 1, maximum: 366 * 86400, description: 'Interval schedule in seconds (instead of schedule)' })),
    timezone: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone for cron and "at" schedules; default UTC' })),
    grace_seconds: Type.Optional(Duration),
    grace: Type.Optional(Duration),
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 50 })),
    notify: Type.Optional(
      Type.Union(
        [
          Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 20 }),
          Type.Object({ alerts: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 100 }), { maxItems: 20 })), events: Type.Optional(Type.Object({ run: Type.Optional(Type.Boolean()), complete: Type.Optional(Type.Boolean()) }, { additionalProperties: false })) }, { additionalProperties: false }),
          Type.Null(),
        ],
        { description: 'Notification lists that get this monitor\'s alerts: ["devops", "default"] or {"alerts": [...], "events": {"run": true, "complete": true}}. Default ["default"].' },
      ),
    ),
    payload_scanning: Type.Optional(
      Type.Union([Type.Object({ success_keyword: Type.Optional(Keywords), failure_keyword: Type.Optional(Keywords) }, { additionalProperties: false }), Type.Null()], {
        description: 'Keywords in a ping\'s body or msg (case-insensitive): a failure keyword makes a success ping a failure; with success keywords, a success ping must contain one. null turns scanning off.',
      }),
    ),
    assertions: Type.Optional(
      Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { maxItems: 20 }), Type.Null()], {
        description: 'Cronitor assertions checked on each success: "metric.duration < 5 min", "metric.count > 0", "metric.error_count <= 2", "metric.error_rate < 0.05"',
      }),
    ),
    payload_metrics: Type.Optional(
      Type.Union([Type.Array(Type.Object({ name: Type.String({ minLength: 1, maxLength: 64 }), path: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }), { maxItems: 20 }), Type.Null()], {
        description: 'JSONPath rules extracting numbers from JSON ping bodies into time series, e.g. [{"name": "rows", "path": "$.stats.rows"}]',
      }),
    ),
    realert_interval: Type.Optional(
      Type.Union([Type.Number({ minimum: 0 }), Type.String({ minLength: 1, maxLength: 50 }), Type.Null()], {
        description: 'Repeat the down alert while down: an integer is hours, or a duration like "30 minutes"; 0 or null = never. Default 8 hours; at most 10 alerts per incident.',
      }),
    ),
    expected_runtime: Type.Optional(
      Type.Union([Type.Object({ min: Type.Optional(Type.Union([Duration, Type.Null()])), max: Type.Optional(Type.Union([Duration, Type.Null()])) }, { additionalProperties: false }), Type.Null()], {
        description: 'A successful run outside [min, max] leaves the monitor degraded, e.g. {"min": "30s", "max": "5m"}; null removes it',
      }),
    ),
    max_runtime: Type.Optional(Type.Union([Duration, Type.Null()], { description: 'A run still open this long after its start times out (down, reason timeout); null or 0 = the expected time plus grace' })),
    inactivity_timeout: Type.Optional(Type.Union([Duration, Type.Null()], { description: 'A run with no start or /progress ping for this long times out; null or 0 = off' })),
    schedule_tolerance: Type.Optional(NullableInteger({ minimum: 0, maximum: 100, description: 'Consecutive missed runs tolerated before down (logged as missed flips, not alerted); default 0' })),
    failure_tolerance: Type.Optional(NullableInteger({ minimum: 0, maximum: 100, description: 'Consecutive failures (or timeouts) tolerated before down; default 0' })),
    recovery_threshold: Type.Optional(NullableInteger({ minimum: 1, maximum: 100, description: 'Consecutive successes needed to leave down; default 1' })),
    overlap_policy: Type.Optional(NullableString({ maxLength: 20, description: '"alert": a start while another run is open raises an on_overlap alert; default "allow"' })),
    ping_token: Type.Optional(
      // Length and characters are checked by the use case, whose message says why (it is the URL's secret).
      Type.String({
        description: 'Keep the URL a job already pings, e.g. the UUID of a healthchecks.io check: 32–128 characters of letters, digits, ".", "_", "~", "-", unique across all monitors (409 when taken). Default: a new random secret.',
      }),
    ),
    note: Type.Optional(NullableString({ maxLength: 2000, description: 'Context for whoever gets the alert; null or "" clears it' })),
    default_note: Type.Optional(NullableString({ maxLength: 2000, description: 'Shown as the note while `note` is unset (Cronitor\'s defaultNote)' })),
    default_name: Type.Optional(NullableString({ maxLength: 200, description: 'Used as the name until someone sets one (Cronitor\'s defaultName)' })),
    group: Type.Optional(NullableString({ maxLength: 100, description: 'A group label (Cronitor\'s group); null or "" clears it' })),
    platform: Type.Optional(NullableString({ maxLength: 50, description: 'Where the job runs, e.g. cron, kubernetes, sidekiq (Cronitor\'s platform); informative only' })),
    metadata: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], { description: 'Arbitrary JSON key/value pairs (at most 10 000 characters as JSON); null clears them' })),
  },
  { additionalProperties: false },
);

export const Monitor = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    key: Type.String(),
    type: literals(MONITOR_TYPES),
    state: MonitorState,
    down_reason: Type.Union([literals(['missed', 'failed', 'timeout'] as const), Type.Null()]),
    schedule: Type.String(),
    timezone: Type.String(),
    expected_interval_sec: Type.Union([Type.Integer(), Type.Null()], { description: 'Null for calendar (cron) schedules' }),
    grace_seconds: Type.Integer(),
    tags: Type.Array(Type.String()),
    realert_interval: Type.Integer({ description: 'Seconds between repeated down alerts; 0 = never' }),
    notify: Type.Object({ alerts: Type.Array(Type.String()), events: Type.Object({ run: Type.Boolean(), complete: Type.Boolean() }) }),
    payload_scanning: Type.Union([Type.Object({ success_keyword: Type.Array(Type.String()), failure_keyword: Type.Array(Type.String()) }), Type.Null()]),
    payload_metrics: Type.Array(Type.Object({ name: Type.String(), path: Type.String() })),
    assertions: Type.Array(Type.String()),
    expected_runtime: Type.Union([Type.Object({ min: Type.Union([Type.Integer(), Type.Null()]), max: Type.Union([Type.Integer(), Type.Null()]) }), Type.Null()], { description: 'Seconds' }),
    max_runtime: Type.Union([Type.Integer(), Type.Null()], { description: 'Seconds' }),
    inactivity_timeout: Type.Union([Type.Integer(), Type.Null()], { description: 'Seconds' }),
    schedule_tolerance: Type.Integer(),
    failure_tolerance: Type.Integer(),
    recovery_threshold: Type.Integer(),
    overlap_policy: literals(OVERLAP_POLICIES),
    running: Type.Integer({ description: 'Runs started and not yet completed' }),
    last_duration: Type.Union([Type.Number(), Type.Null()], { description: 'Seconds the last completed run took, when known' }),
    degraded_reason: Type.Union([Type.String(), Type.Null()], { description: 'Why the monitor is degraded' }),
    note: Type.Union([Type.String(), Type.Null()]),
    default_note: Type.Union([Type.String(), Type.Null()]),
    default_name: Type.Union([Type.String(), Type.Null()]),
    group: Type.Union([Type.String(), Type.Null()]),
    platform: Type.Union([Type.String(), Type.Null()]),
    metadata: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
    ping_url: Type.String(),
    ping_token: Type.String(),
    last_ping_at: Timestamp,
    next_expected_at: Timestamp,
    paused_until: Timestamp,
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
);

export const MonitorListQuery = Type.Object({
  state: Type.Optional(MonitorState),
  tag: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
  offset: Type.Integer({ minimum: 0, default: 0 }),
});

export const PauseInput = Type.Union([
  Type.Object({ hours: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 24 * 366, description: 'Auto-resume after this many hours' })) }, { additionalProperties: false }),
  Type.Null(),
]);

export const Ping = Type.Object({
  id: Type.Integer(),
  received_at: Type.String({ format: 'date-time' }),
  kind: literals(PING_KINDS),
  exit_code: Type.Union([Type.Integer(), Type.Null()]),
  source: Type.String(),
  method: Type.String(),
  ip: Type.Union([Type.String(), Type.Null()]),
  user_agent: Type.Union([Type.String(), Type.Null()]),
  body_size: Type.Integer(),
  body_preview: Type.Union([Type.String(), Type.Null()]),
  msg: Type.Union([Type.String(), Type.Null()]),
  host: Type.Union([Type.String(), Type.Null()]),
  series: Type.Union([Type.String(), Type.Null()], { description: 'Run id sent as series, rid or check_in_id' }),
  status_code: Type.Union([Type.Integer(), Type.Null()]),
  duration: Type.Union([Type.Number(), Type.Null()], { description: 'Seconds, as reported by the client' }),
  env: Type.Union([Type.String(), Type.Null()]),
  release: Type.Union([Type.String(), Type.Null()]),
  metrics: Type.Array(Type.Object({ name: Type.String(), value: Type.Number() })),
});

export const Flip = Type.Object({
  id: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  from: MonitorState,
  to: MonitorState,
  reason: Type.String(),
  kind: literals(['state', 'missed'] as const),
});

export const Run = Type.Object({
  id: Type.Integer(),
  run_id: Type.Union([Type.String(), Type.Null()], { description: 'The client\'s run id (rid, series, check_in_id), if it sent one' }),
  outcome: literals(RUN_OUTCOMES),
  started_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], { description: 'Null for a completion without a start' }),
  finished_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  duration: Type.Union([Type.Number(), Type.Null()], { description: 'Seconds' }),
  failure_kind: Type.Union([literals(['fail', 'exit_code', 'keyword', 'assertion'] as const), Type.Null()]),
  exit_code: Type.Union([Type.Integer(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  start_ping_id: Type.Union([Type.Integer(), Type.Null()]),
  end_ping_id: Type.Union([Type.Integer(), Type.Null()]),
});

export const PingReply = Type.Object({
  ok: Type.Boolean(),
  state: Type.Optional(MonitorState),
  message: Type.Optional(Type.String()),
});
