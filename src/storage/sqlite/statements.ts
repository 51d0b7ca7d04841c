/**
 * Every statement the SQLite store runs more than once, prepared once at open. Queries whose shape depends on
 * a filter (list endpoints) are prepared where they are built.
 */
import type { Database } from './driver.js';

export const MONITOR_COLUMNS =
  'id, project_id, key, name, type, schedule, timezone, grace_seconds, tags, realert_seconds, notify, payload_scanning, payload_metrics, assertions, run_rules, ping_token, state, down_reason, down_exit_code, last_ping_at, running_since, open_runs, last_duration, state_reason, missed_streak, failure_streak, success_streak, next_expected_at, deadline, paused_until, down_alerts, realert_at, version, created_at, updated_at, extra';
const MONITOR_PARAMS = MONITOR_COLUMNS.split(', ').map((c) => `@${c}`).join(', ');
export const STATUS_COLUMNS = ['state', 'down_reason', 'down_exit_code', 'last_ping_at', 'running_since', 'open_runs', 'last_duration', 'state_reason', 'missed_streak', 'failure_streak', 'success_streak', 'next_expected_at', 'deadline', 'paused_until', 'down_alerts', 'realert_at', 'version', 'updated_at'];
const STATUS_UPDATES = STATUS_COLUMNS.map((c) => `${c} = @${c}`).join(', ');
const MONITOR_UPDATES = MONITOR_COLUMNS.split(', ')
  .filter((c) => c !== 'id' && c !== 'project_id' && c !== 'created_at')
  .map((c) => `${c} = @${c}`)
  .join(', ');
/**
 * due_at, the scheduler's index (migration 7): never later than the deadline. A whole-row write sets it to the
 * deadline; a ping's status write only lowers it, so the usual ping, which moves the deadline later, leaves the
 * index alone, and the scheduler raises a stale due_at when it reaches it (refreshDue).
 */
export const LOWERED_DUE_AT = 'CASE WHEN @deadline IS NOT NULL AND (due_at IS NULL OR @deadline < due_at) THEN @deadline ELSE due_at END';

/**
 * A monitor's pings, newest first, walking back from its newest (@head) along prev_id (migration 8: there is no
 * index by monitor). Each step is one lookup by id; the monitor check stops a walk that would leave the monitor.
 * `n` numbers them from 1; @upto bounds the walk.
 */
const CHAIN = `
  WITH RECURSIVE chain(id, prev, n) AS (
    SELECT id, prev_id, 1 FROM pings WHERE id = @head AND monitor_id = @m
    UNION ALL
    SELECT p.id, p.prev_id, chain.n + 1 FROM chain JOIN pings p ON p.id = chain.prev AND p.monitor_id = @m WHERE chain.n < @upto
  )`;
/** No bound on a walk (a monitor's chain is as long as its kept pings: OVERDUE_PING_RETENTION, at most 1 000 000). */
export const WHOLE_CHAIN = Number.MAX_SAFE_INTEGER;

export type Statements = ReturnType<typeof prepareStatements>;

export function prepareStatements(db: Database) {
  return {
    insertProject: db.prepare('INSERT INTO projects (id, name, ping_key, created_at) VALUES (?, ?, ?, ?)'),
    getProject: db.prepare('SELECT id, name, ping_key, created_at FROM projects WHERE id = ?'),
    getProjectByPingKey: db.prepare('SELECT id, name, ping_key, created_at FROM projects WHERE ping_key = ?'),
    listProjects: db.prepare('SELECT id, name, ping_key, created_at FROM projects ORDER BY created_at, id'),
    countProjects: db.prepare('SELECT count(*) AS n FROM projects').pluck(),
    insertKey: db.prepare(
      'INSERT INTO api_keys (id, project_id, name, key_hash, prefix, read_only, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    keyByHash: db.prepare('SELECT * FROM api_keys WHERE key_hash = ?'),
    listKeys: db.prepare('SELECT * FROM api_keys WHERE project_id = ? ORDER BY created_at, id'),
    deleteKey: db.prepare('DELETE FROM api_keys WHERE project_id = ? AND id = ?'),
    countWriteKeys: db.prepare('SELECT count(*) FROM api_keys WHERE project_id = ? AND read_only = 0').pluck(),
    insertMonitor: db.prepare(`INSERT INTO monitors (${MONITOR_COLUMNS}, due_at) VALUES (${MONITOR_PARAMS}, @deadline)`),
    getMonitor: db.prepare(`SELECT ${MONITOR_COLUMNS} FROM monitors WHERE project_id = ? AND id = ?`),
    getMonitorById: db.prepare(`SELECT ${MONITOR_COLUMNS} FROM monitors WHERE id = ?`),
    monitorByToken: db.prepare(`SELECT ${MONITOR_COLUMNS} FROM monitors WHERE ping_token = ?`),
    pingTokensAfter: db.prepare('SELECT ping_token FROM monitors WHERE id > ? ORDER BY id LIMIT ?').pluck(),
    pingTokenOf: db.prepare('SELECT ping_token FROM monitors WHERE id = ?').pluck(),
    monitorBySlug: db.prepare(`SELECT ${MONITOR_COLUMNS} FROM monitors WHERE key = ? AND project_id = (SELECT id FROM projects WHERE ping_key = ?)`),
    updateMonitor: db.prepare(`UPDATE monitors SET ${MONITOR_UPDATES}, due_at = @deadline WHERE id = @id AND version = @expected_version`),
    updateStatus: db.prepare(`UPDATE monitors SET ${STATUS_UPDATES}, due_at = ${LOWERED_DUE_AT}, status_ping_id = @status_ping_id WHERE id = @id`),
    unreplayed: db.prepare(
      `SELECT p.id, p.monitor_id, p.kind, p.exit_code, p.received_at, p.body, p.msg, p.details FROM pings p JOIN monitors m ON m.id = p.monitor_id
        WHERE p.id > (SELECT written_through FROM written_back WHERE id = 1) AND p.id > m.status_ping_id ORDER BY p.id`,
    ),
    deleteMonitor: db.prepare('DELETE FROM monitors WHERE project_id = ? AND id = ?'),
    monitorHead: db.prepare('SELECT status_ping_id FROM monitors WHERE id = ?').pluck(),
    deleteChain: db.prepare(`${CHAIN} DELETE FROM pings WHERE id IN (SELECT id FROM chain)`),
    setWrittenThrough: db.prepare('UPDATE written_back SET written_through = ? WHERE id = 1'),
    insertFlip: db.prepare('INSERT INTO flips (monitor_id, at, from_state, to_state, reason, kind) VALUES (?, ?, ?, ?, ?, ?)'),
    openRun: db.prepare("INSERT INTO runs (id, monitor_id, run_key, started_at, outcome) VALUES (?, ?, ?, ?, 'running')"),
    // Open runs are the monitor's newest: walking its runs backwards finds them at once.
    closeRun: db.prepare(`
      UPDATE runs SET finished_at = @finished_at, duration = @duration, outcome = @outcome, failure_kind = @failure_kind,
        exit_code = @exit_code, reason = @reason, end_ping_id = @end_ping_id
      WHERE id = (SELECT id FROM runs WHERE monitor_id = @monitor_id AND outcome = 'running' AND started_at = @started_at
                  AND run_key IS @run_key ORDER BY id DESC LIMIT 1)`),
    markPingAsRun: db.prepare('UPDATE pings SET run_outcome = @outcome, run_duration = @duration, run_failure_kind = @failure_kind, run_reason = @reason WHERE id = @end_ping_id'),
    listRuns: db.prepare(`${CHAIN}
      SELECT id, monitor_id, run_key, started_at, finished_at, duration, outcome, failure_kind, exit_code, reason, id AS start_ping_id, end_ping_id
        FROM runs WHERE monitor_id = @m
      UNION ALL
      SELECT p.id, p.monitor_id, json_extract(p.details, '$.series'), NULL, p.received_at, p.run_duration, p.run_outcome, p.run_failure_kind, p.exit_code, p.run_reason, NULL, p.id
        FROM chain JOIN pings p ON p.id = chain.id WHERE p.run_outcome IS NOT NULL
      ORDER BY id DESC LIMIT @limit OFFSET @offset`),
    countRuns: db
      .prepare(`${CHAIN} SELECT (SELECT count(*) FROM runs WHERE monitor_id = @m) + (SELECT count(*) FROM chain JOIN pings p ON p.id = chain.id WHERE p.run_outcome IS NOT NULL)`)
      .pluck(),
    runCutoff: db.prepare('SELECT id FROM runs WHERE monitor_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?').pluck(),
    deleteOldRuns: db.prepare("DELETE FROM runs WHERE id IN (SELECT id FROM runs WHERE monitor_id = ? AND id <= ? AND outcome <> 'running' ORDER BY id LIMIT ?)"),
    // id: the journal's ping id, or null for a new rowid (a store without a journal).
    insertPing: db.prepare(
      `INSERT INTO pings (id, monitor_id, prev_id, received_at, kind, exit_code, source, method, ip, user_agent, body, body_size, msg, details,
         run_outcome, run_duration, run_failure_kind, run_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    // Never below written_through: a ping id reused after the newest pings were deleted (with their monitor)
    // would fall at or below it, and start-up would not read that ping again.
    maxPingId: db.prepare('SELECT max(coalesce((SELECT max(id) FROM pings), 0), (SELECT written_through FROM written_back WHERE id = 1))').pluck(),
    initJournal: db.prepare('INSERT OR IGNORE INTO ping_journal (id, journal_id, applied_lsn) VALUES (1, ?, 0)'),
    journalState: db.prepare('SELECT journal_id, applied_lsn FROM ping_journal WHERE id = 1'),
    setAppliedLsn: db.prepare('UPDATE ping_journal SET applied_lsn = ? WHERE id = 1'),
    listPings: db.prepare(
      `${CHAIN} SELECT p.id, p.monitor_id, p.received_at, p.kind, p.exit_code, p.source, p.method, p.ip, p.user_agent, p.body_size, substr(p.body, 1, 800) AS body_head, p.msg, p.details
        FROM chain JOIN pings p ON p.id = chain.id WHERE chain.n > @offset ORDER BY chain.n`,
    ),
    countPings: db.prepare(`${CHAIN} SELECT count(*) FROM chain`).pluck(),
    pingBody: db.prepare('SELECT body FROM pings WHERE monitor_id = ? AND id = ?'),
    insertMetric: db.prepare('INSERT INTO ping_metrics (monitor_id, ping_id, name, at, value) VALUES (?, ?, ?, ?, ?)'),
    listFlips: db.prepare('SELECT id, at, from_state, to_state, reason, kind FROM flips WHERE monitor_id = ? ORDER BY id DESC LIMIT ? OFFSET ?'),
    countFlips: db.prepare('SELECT count(*) FROM flips WHERE monitor_id = ?').pluck(),
    // A due_at the scheduler has reached but the deadline has not (a ping moved it later, or away): raised to it.
    refreshDue: db.prepare(
      'UPDATE monitors SET due_at = deadline WHERE id IN (SELECT id FROM monitors WHERE due_at <= @now AND (deadline IS NULL OR deadline > @now) ORDER BY due_at LIMIT @limit)',
    ),
    due: db.prepare(`SELECT ${MONITOR_COLUMNS} FROM monitors WHERE due_at <= @now AND deadline <= @now ORDER BY deadline, id LIMIT @limit`),
    nextDue: db.prepare('SELECT min(due_at) FROM monitors WHERE due_at IS NOT NULL').pluck(),
    stateCounts: db.prepare('SELECT state, count(*) AS n FROM monitors GROUP BY state'),
    insertChannel: db.prepare(
      'INSERT INTO channels (id, project_id, name, kind, config, created_at, updated_at) VALUES (@id, @project_id, @name, @kind, @config, @created_at, @updated_at)',
    ),
    getChannel: db.prepare('SELECT * FROM channels WHERE project_id = ? AND id = ?'),
    listChannels: db.prepare('SELECT * FROM channels WHERE project_id = ? ORDER BY created_at, id'),
    updateChannel: db.prepare('UPDATE channels SET name = @name, config = @config, updated_at = @updated_at WHERE project_id = @project_id AND id = @id'),
    deleteChannel: db.prepare('DELETE FROM channels WHERE project_id = ? AND id = ?'),
    channelFailed: db.prepare('UPDATE channels SET last_error = ?, last_error_at = ? WHERE id = ?'),
    insertRule: db.prepare("INSERT INTO notification_rules (id, monitor_id, channel_id, event, source, created_at) VALUES (?, ?, ?, ?, 'api', ?)"),
    listRules: db.prepare("SELECT * FROM notification_rules WHERE monitor_id = ? AND source = 'api' ORDER BY created_at, id"),
    insertList: db.prepare('INSERT INTO notification_lists (id, project_id, key, name, created_at) VALUES (?, ?, ?, ?, ?)'),
    listLists: db.prepare('SELECT * FROM notification_lists WHERE project_id = ? ORDER BY created_at, key'),
    getList: db.prepare('SELECT * FROM notification_lists WHERE project_id = ? AND key = ?'),
    renameList: db.prepare('UPDATE notification_lists SET name = ? WHERE id = ?'),
    deleteList: db.prepare('DELETE FROM notification_lists WHERE id = ?'),
    listMembers: db.prepare('SELECT channel_id FROM notification_list_channels WHERE list_id = ? ORDER BY channel_id').pluck(),
    clearMembers: db.prepare('DELETE FROM notification_list_channels WHERE list_id = ?'),
    addMember: db.prepare('INSERT INTO notification_list_channels (list_id, channel_id) VALUES (?, ?)'),
    clearNotifyRules: db.prepare("DELETE FROM notification_rules WHERE monitor_id = ? AND source = 'notify'"),
    insertNotifyRule: db.prepare("INSERT INTO notification_rules (id, monitor_id, list_id, event, source, created_at) VALUES (?, ?, ?, ?, 'notify', ?)"),
    deleteRule: db.prepare('DELETE FROM notification_rules WHERE monitor_id = ? AND id = ?'),
    ruledEvents: db
      .prepare(
        `SELECT event FROM notification_rules WHERE monitor_id = @m AND channel_id IS NOT NULL
         UNION
         SELECT r.event FROM notification_rules r JOIN notification_list_channels lc ON lc.list_id = r.list_id WHERE r.monitor_id = @m`,
      )
      .pluck(),
    ruleChannels: db
      .prepare(
        `SELECT channel_id FROM notification_rules WHERE monitor_id = @m AND event = @e AND channel_id IS NOT NULL
         UNION
         SELECT lc.channel_id FROM notification_rules r JOIN notification_list_channels lc ON lc.list_id = r.list_id WHERE r.monitor_id = @m AND r.event = @e`,
      )
      .pluck(),
    heldNotification: db.prepare(
      "SELECT id FROM notifications WHERE monitor_id = @monitor_id AND channel_id = @channel_id AND event = @event AND status = 'pending' AND attempts = 0 AND next_attempt_at > @at ORDER BY id DESC LIMIT 1",
    ).pluck(),
    lastNotifiedAt: db.prepare(
      'SELECT coalesce(sent_at, next_attempt_at) FROM notifications WHERE monitor_id = @monitor_id AND channel_id = @channel_id AND event = @event ORDER BY id DESC LIMIT 1',
    ).pluck(),
    mergeIntoHeld: db.prepare(
      'UPDATE notifications SET count = count + 1, flip_at = @at, from_state = @from_state, to_state = @to_state, reason = @reason, output_tail = @output_tail WHERE id = @id',
    ),
    enqueue: db.prepare(`
      INSERT OR IGNORE INTO notifications
        (project_id, monitor_id, channel_id, event, dedup_key, flip_at, from_state, to_state, reason, output_tail, status, next_attempt_at, created_at)
      VALUES (@project_id, @monitor_id, @channel_id, @event, @dedup_prefix || ':' || @event || ':' || @channel_id,
              @at, @from_state, @to_state, @reason, @output_tail, 'pending', @next_attempt_at, @at)`),
    claim: db.prepare(`
      UPDATE notifications SET status = 'sending', claimed_until = @lease, attempts = attempts + 1
      WHERE id IN (
        SELECT id FROM notifications
        WHERE (status = 'pending' AND next_attempt_at <= @now) OR (status = 'sending' AND claimed_until <= @now)
        ORDER BY next_attempt_at LIMIT @limit)
      RETURNING *`),
    delivered: db.prepare("UPDATE notifications SET status = 'sent', sent_at = ?, response_code = ?, last_error = NULL, claimed_until = NULL WHERE id = ? AND status = 'sending'"),
    retryLater: db.prepare("UPDATE notifications SET status = 'pending', next_attempt_at = ?, last_error = ?, response_code = ?, claimed_until = NULL WHERE id = ? AND status = 'sending'"),
    failedForGood: db.prepare("UPDATE notifications SET status = 'failed', last_error = ?, response_code = ?, claimed_until = NULL WHERE id = ? AND status = 'sending' RETURNING channel_id"),
    nextNotification: db.prepare("SELECT min(CASE status WHEN 'pending' THEN next_attempt_at ELSE claimed_until END) FROM notifications WHERE status IN ('pending', 'sending')").pluck(),
    monitorIdsAfter: db.prepare('SELECT id FROM monitors WHERE id > ? ORDER BY id LIMIT ?').pluck(),
    // Oldest first, so a walk cut short by the budget leaves no kept ping unreachable.
    deleteOldPings: db.prepare(`${CHAIN} DELETE FROM pings WHERE id IN (SELECT id FROM chain WHERE n > @keep ORDER BY n DESC LIMIT @max)`),
  };
}
