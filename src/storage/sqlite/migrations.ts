/** Numbered schema migrations, applied in order at start-up inside one transaction each. Never edit a shipped one. */
export const migrations: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE projects (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        ping_key TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        key_hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        read_only INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE monitors (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        schedule TEXT NOT NULL,
        timezone TEXT NOT NULL,
        grace_seconds INTEGER NOT NULL,
        tags TEXT NOT NULL,
        realert_seconds INTEGER NOT NULL,
        notify TEXT NOT NULL,
        payload_scanning TEXT,
        payload_metrics TEXT NOT NULL DEFAULT '[]',
        assertions TEXT NOT NULL DEFAULT '[]',
        ping_token TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL,
        down_reason TEXT,
        down_exit_code INTEGER,
        last_ping_at INTEGER,
        running_since INTEGER,
        next_expected_at INTEGER,
        deadline INTEGER,
        paused_until INTEGER,
        down_alerts INTEGER NOT NULL DEFAULT 0,
        realert_at INTEGER,
        version INTEGER NOT NULL,
        -- The newest ping whose effect the status columns include; later pings are replayed at start-up.
        status_ping_id INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (project_id, key)
      );
      CREATE INDEX monitors_deadline ON monitors(deadline) WHERE deadline IS NOT NULL;
      CREATE INDEX monitors_project_created ON monitors(project_id, created_at, id);
      CREATE TABLE pings (
        id INTEGER PRIMARY KEY,
        monitor_id TEXT NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
        received_at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        exit_code INTEGER,
        source TEXT NOT NULL,
        method TEXT NOT NULL,
        ip TEXT,
        user_agent TEXT,
        body BLOB,
        body_size INTEGER NOT NULL,
        msg TEXT,
        details TEXT
      );
      CREATE INDEX pings_monitor ON pings(monitor_id, id);
      -- Numbers extracted from JSON ping bodies by a monitor's payload_metrics; value NULL = no value in that ping.
      -- Kept with the monitor, not the ping: pruning old pings keeps the series.
      CREATE TABLE ping_metrics (
        id INTEGER PRIMARY KEY,
        monitor_id TEXT NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
        ping_id INTEGER NOT NULL,
        name TEXT NOT NULL,
        at INTEGER NOT NULL,
        value REAL
      );
      CREATE INDEX ping_metrics_series ON ping_metrics(monitor_id, name, at);
      CREATE TABLE flips (
        id INTEGER PRIMARY KEY,
        monitor_id TEXT NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
        at INTEGER NOT NULL,
        from_state TEXT NOT NULL,
        to_state TEXT NOT NULL,
        reason TEXT NOT NULL
      );
      CREATE INDEX flips_monitor ON flips(monitor_id, id);
    `,
  },
  {
    version: 2,
    name: 'notifications',
    sql: `
      CREATE TABLE channels (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        config TEXT NOT NULL,
        last_error TEXT,
        last_error_at INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        UNIQUE (project_id, name)
      );
      -- A named set of channels (Cronitor's notification lists); every project has one with key 'default'.
      CREATE TABLE notification_lists (
        id TEXT PRIMARY KEY,
        project_id TEXT NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        key TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        UNIQUE (project_id, key)
      );
      CREATE TABLE notification_list_channels (
        list_id TEXT NOT NULL REFERENCES notification_lists(id) ON DELETE CASCADE,
        channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
        PRIMARY KEY (list_id, channel_id)
      );
      -- A rule targets one channel (TrigRun style, source 'api') or one list (from a monitor's notify, source 'notify').
      CREATE TABLE notification_rules (
        id TEXT PRIMARY KEY,
        monitor_id TEXT NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
        channel_id TEXT REFERENCES channels(id) ON DELETE CASCADE,
        list_id TEXT REFERENCES notification_lists(id) ON DELETE CASCADE,
        event TEXT NOT NULL,
        source TEXT NOT NULL DEFAULT 'api',
        created_at INTEGER NOT NULL,
        CHECK ((channel_id IS NULL) <> (list_id IS NULL)),
        UNIQUE (monitor_id, channel_id, event),
        UNIQUE (monitor_id, list_id, event)
      );
      CREATE INDEX notification_rules_monitor ON notification_rules(monitor_id, event);
      -- The outbox: written in the transaction of the state change that causes it; dedup_key makes each
      -- (event, channel) one row however often the enqueue is retried.
      CREATE TABLE notifications (
        id INTEGER PRIMARY KEY,
        project_id TEXT NOT NULL,
        monitor_id TEXT NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
        channel_id TEXT NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
        event TEXT NOT NULL,
        dedup_key TEXT NOT NULL UNIQUE,
        flip_at INTEGER NOT NULL,
        from_state TEXT NOT NULL,
        to_state TEXT NOT NULL,
        reason TEXT NOT NULL,
        -- How many occurrences this row covers: rapid repeats are held and merged (see writeFlips).
        count INTEGER NOT NULL DEFAULT 1,
        -- The end of the output of the ping that caused it, for the message.
        output_tail TEXT,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        claimed_until INTEGER,
        last_error TEXT,
        response_code INTEGER,
        created_at INTEGER NOT NULL,
        sent_at INTEGER
      );
      CREATE INDEX notifications_due ON notifications(status, next_attempt_at);
      CREATE INDEX notifications_monitor ON notifications(monitor_id, id);
      CREATE INDEX notifications_batch ON notifications(monitor_id, channel_id, event, id);
    `,
  },
  {
    version: 3,
    name: 'runs',
    sql: `
      -- Run rules (runtime bounds, tolerances, overlap policy) as one JSON object; missing keys take defaults.
      ALTER TABLE monitors ADD COLUMN run_rules TEXT NOT NULL DEFAULT '{}';
      -- Open runs as [{runId, startedAt, activeAt}] (instants in ms), oldest first.
      ALTER TABLE monitors ADD COLUMN open_runs TEXT NOT NULL DEFAULT '[]';
      ALTER TABLE monitors ADD COLUMN last_duration REAL;
      ALTER TABLE monitors ADD COLUMN state_reason TEXT;
      ALTER TABLE monitors ADD COLUMN missed_streak INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE monitors ADD COLUMN failure_streak INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE monitors ADD COLUMN success_streak INTEGER NOT NULL DEFAULT 0;
      UPDATE monitors SET open_runs = json_array(json_object('runId', NULL, 'startedAt', running_since, 'activeAt', running_since))
        WHERE running_since IS NOT NULL;
      -- 'missed' for a tolerated missed run; NULL for a plain state change.
      ALTER TABLE flips ADD COLUMN kind TEXT;
      -- Runs that began with a start ping; the id is that ping's id. A completion without a start is not a row
      -- here but its own ping (the run_* columns below): a heartbeat then costs one row, not two.
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        monitor_id TEXT NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
        run_key TEXT,
        started_at INTEGER NOT NULL,
        finished_at INTEGER,
        duration REAL,
        outcome TEXT NOT NULL,
        failure_kind TEXT,
        exit_code INTEGER,
        reason TEXT,
        end_ping_id INTEGER
      );
      CREATE INDEX runs_monitor ON runs(monitor_id, id);
      -- Set on a completion ping that closed no started run: that ping is the run.
      ALTER TABLE pings ADD COLUMN run_outcome TEXT;
      ALTER TABLE pings ADD COLUMN run_duration REAL;
      ALTER TABLE pings ADD COLUMN run_failure_kind TEXT;
      ALTER TABLE pings ADD COLUMN run_reason TEXT;
    `,
  },
  {
    version: 4,
    name: 'monitor extra',
    sql: `
      -- Descriptive attributes (note, defaultNote, defaultName, group, platform, metadata) as one JSON object.
      ALTER TABLE monitors ADD COLUMN extra TEXT NOT NULL DEFAULT '{}';
    `,
  },
  {
    version: 5,
    name: 'ping journal',
    sql: `
      -- How far the ping journal (<db>.ping-journal/) has been applied to these tables: written in the same
      -- transaction as the rows of the pings it covers, so each journaled ping is applied exactly once.
      -- journal_id ties the journal's segment files to this database.
      CREATE TABLE ping_journal (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        journal_id BLOB NOT NULL,
        applied_lsn INTEGER NOT NULL
      );
    `,
  },
  // 6 is PostgreSQL's own (postgres/migrations.ts); the numbers stay aligned.
  {
    version: 7,
    name: 'scheduler index on due_at',
    sql: `
      -- The scheduler's index moves from deadline to due_at, which is never later than the deadline: whole-row
      -- writes set it to the deadline, a status write-back only lowers it, and the scheduler raises a stale one
      -- when it reaches it (statements.ts). The usual ping moves the deadline later, so writing its status back
      -- no longer moves an index entry.
      ALTER TABLE monitors ADD COLUMN due_at INTEGER;
      UPDATE monitors SET due_at = deadline;
      DROP INDEX monitors_deadline;
      CREATE INDEX monitors_due ON monitors(due_at) WHERE due_at IS NOT NULL;
    `,
  },
  {
    version: 8,
    name: 'pings chained per monitor',
    sql: `
      -- A monitor's pings are found by walking back from its newest (monitors.status_ping_id, which the status
      -- write-back now sets for every ping) along prev_id, instead of through an index on (monitor_id, id): every
      -- ping inserted an entry into a random leaf of that index, the largest cost of writing a ping (and growing
      -- with the table). Without the index the foreign key's cascade would scan the table on every monitor
      -- deletion, so it goes too: the store deletes a monitor's pings along its chain.
      CREATE TABLE pings_chained (
        id INTEGER PRIMARY KEY,
        monitor_id TEXT NOT NULL,
        prev_id INTEGER,
        received_at INTEGER NOT NULL,
        kind TEXT NOT NULL,
        exit_code INTEGER,
        source TEXT NOT NULL,
        method TEXT NOT NULL,
        ip TEXT,
        user_agent TEXT,
        body BLOB,
        body_size INTEGER NOT NULL,
        msg TEXT,
        details TEXT,
        run_outcome TEXT,
        run_duration REAL,
        run_failure_kind TEXT,
        run_reason TEXT
      );
      INSERT INTO pings_chained
        SELECT id, monitor_id, lag(id) OVER (PARTITION BY monitor_id ORDER BY id), received_at, kind, exit_code, source, method,
               ip, user_agent, body, body_size, msg, details, run_outcome, run_duration, run_failure_kind, run_reason
          FROM pings;
      -- Every ping up to written_through has its effect in its monitor's row (status, status_ping_id): at start-up
      -- only the pings after it are read again, by id, where the index used to find each monitor's newer pings.
      CREATE TABLE written_back (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        written_through INTEGER NOT NULL
      );
      INSERT INTO written_back (id, written_through)
        SELECT 1, coalesce((SELECT min(p.id) - 1 FROM monitors m JOIN pings p ON p.monitor_id = m.id AND p.id > m.status_ping_id),
                           (SELECT max(id) FROM pings), 0);
      DROP TABLE pings;
      ALTER TABLE pings_chained RENAME TO pings;
    `,
  },
];
