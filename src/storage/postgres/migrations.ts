/**
 * Numbered schema migrations for PostgreSQL, applied in order at start-up (migrate.ts). Never edit a shipped
 * one. The numbers follow the SQLite backend's so the two schemas are easy to compare; 6 is PostgreSQL's own
 * (a trigger instead of the pings foreign key), 7 (due_at) is shared again, and 8 is SQLite's own (pings chained per
 * monitor instead of indexed: here the index stays, see record-pings.ts).
 *
 * Conventions: instants are `timestamptz` (microsecond precision, so JavaScript's milliseconds round-trip
 * exactly); what SQLite keeps as JSON text is `jsonb`; identifiers and keys are `COLLATE "C"` so they sort
 * bytewise as in SQLite, whatever the database's locale (ids are also page cursors, see prunePings).
 * Unique constraints are named: unique-or-conflict.ts maps a violation to the field by constraint name.
 */
export const migrations: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE projects (
        id text COLLATE "C" PRIMARY KEY,
        name text NOT NULL,
        ping_key text COLLATE "C" NOT NULL CONSTRAINT projects_ping_key_unique UNIQUE,
        created_at timestamptz NOT NULL
      );
      CREATE TABLE api_keys (
        id text COLLATE "C" PRIMARY KEY,
        project_id text COLLATE "C" NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        name text NOT NULL,
        key_hash text COLLATE "C" NOT NULL CONSTRAINT api_keys_hash_unique UNIQUE,
        prefix text NOT NULL,
        read_only boolean NOT NULL,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX api_keys_project ON api_keys(project_id, created_at, id);
      CREATE TABLE monitors (
        id text COLLATE "C" PRIMARY KEY,
        project_id text COLLATE "C" NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        key text COLLATE "C" NOT NULL,
        name text NOT NULL,
        type text NOT NULL,
        schedule text NOT NULL,
        timezone text NOT NULL,
        grace_seconds integer NOT NULL,
        tags jsonb NOT NULL,
        realert_seconds integer NOT NULL,
        notify jsonb NOT NULL,
        payload_scanning jsonb,
        payload_metrics jsonb NOT NULL DEFAULT '[]',
        assertions jsonb NOT NULL DEFAULT '[]',
        ping_token text COLLATE "C" NOT NULL,
        state text NOT NULL,
        down_reason text,
        down_exit_code integer,
        last_ping_at timestamptz,
        running_since timestamptz,
        next_expected_at timestamptz,
        deadline timestamptz,
        paused_until timestamptz,
        down_alerts integer NOT NULL DEFAULT 0,
        realert_at timestamptz,
        -- bigint: bumped by every state-changing ping, for the monitor's whole life.
        version bigint NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT monitors_ping_token_unique UNIQUE (ping_token),
        CONSTRAINT monitors_key_unique UNIQUE (project_id, key)
      );
      CREATE INDEX monitors_deadline ON monitors(deadline) WHERE deadline IS NOT NULL;
      CREATE INDEX monitors_project_created ON monitors(project_id, created_at, id);
      CREATE TABLE pings (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        monitor_id text COLLATE "C" NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
        received_at timestamptz NOT NULL,
        kind text NOT NULL,
        exit_code integer,
        source text NOT NULL,
        method text NOT NULL,
        ip text,
        user_agent text,
        body bytea,
        body_size integer NOT NULL,
        msg text,
        details jsonb
      );
      CREATE INDEX pings_monitor ON pings(monitor_id, id);
      -- Numbers extracted from JSON ping bodies by a monitor's payload_metrics; value NULL = no value in that ping.
      -- Kept with the monitor, not the ping: pruning old pings keeps the series.
      CREATE TABLE ping_metrics (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        monitor_id text COLLATE "C" NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
        ping_id bigint NOT NULL,
        name text COLLATE "C" NOT NULL,
        at timestamptz NOT NULL,
        value double precision
      );
      CREATE INDEX ping_metrics_series ON ping_metrics(monitor_id, name, at);
      CREATE TABLE flips (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        monitor_id text COLLATE "C" NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
        at timestamptz NOT NULL,
        from_state text NOT NULL,
        to_state text NOT NULL,
        reason text NOT NULL
      );
      CREATE INDEX flips_monitor ON flips(monitor_id, id);
    `,
  },
  {
    version: 2,
    name: 'notifications',
    sql: `
      CREATE TABLE channels (
        id text COLLATE "C" PRIMARY KEY,
        project_id text COLLATE "C" NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        name text NOT NULL,
        kind text NOT NULL,
        config jsonb NOT NULL,
        last_error text,
        last_error_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT channels_name_unique UNIQUE (project_id, name)
      );
      -- A named set of channels (Cronitor's notification lists); every project has one with key 'default'.
      CREATE TABLE notification_lists (
        id text COLLATE "C" PRIMARY KEY,
        project_id text COLLATE "C" NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
        key text COLLATE "C" NOT NULL,
        name text NOT NULL,
        created_at timestamptz NOT NULL,
        CONSTRAINT notification_lists_key_unique UNIQUE (project_id, key)
      );
      CREATE TABLE notification_list_channels (
        list_id text COLLATE "C" NOT NULL REFERENCES notification_lists(id) ON DELETE CASCADE,
        channel_id text COLLATE "C" NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
        PRIMARY KEY (list_id, channel_id)
      );
      CREATE INDEX notification_list_channels_channel ON notification_list_channels(channel_id);
      -- A rule targets one channel (TrigRun style, source 'api') or one list (from a monitor's notify, source 'notify').
      CREATE TABLE notification_rules (
        id text COLLATE "C" PRIMARY KEY,
        monitor_id text COLLATE "C" NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
        channel_id text COLLATE "C" REFERENCES channels(id) ON DELETE CASCADE,
        list_id text COLLATE "C" REFERENCES notification_lists(id) ON DELETE CASCADE,
        event text NOT NULL,
        source text NOT NULL DEFAULT 'api',
        created_at timestamptz NOT NULL,
        CHECK ((channel_id IS NULL) <> (list_id IS NULL)),
        CONSTRAINT notification_rules_channel_unique UNIQUE (monitor_id, channel_id, event),
        CONSTRAINT notification_rules_list_unique UNIQUE (monitor_id, list_id, event)
      );
      CREATE INDEX notification_rules_monitor ON notification_rules(monitor_id, event);
      -- Deleting a channel or list cascades here; without these that is a scan of every project's rules.
      CREATE INDEX notification_rules_channel ON notification_rules(channel_id) WHERE channel_id IS NOT NULL;
      CREATE INDEX notification_rules_list ON notification_rules(list_id) WHERE list_id IS NOT NULL;
      -- The outbox: written in the transaction of the state change that causes it; dedup_key makes each
      -- (event, channel) one row however often the enqueue is retried.
      CREATE TABLE notifications (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        project_id text COLLATE "C" NOT NULL,
        monitor_id text COLLATE "C" NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
        channel_id text COLLATE "C" NOT NULL REFERENCES channels(id) ON DELETE CASCADE,
        event text NOT NULL,
        dedup_key text COLLATE "C" NOT NULL CONSTRAINT notifications_dedup_unique UNIQUE,
        flip_at timestamptz NOT NULL,
        from_state text NOT NULL,
        to_state text NOT NULL,
        reason text NOT NULL,
        -- How many occurrences this row covers: rapid repeats are held and merged (see outbox.ts).
        count integer NOT NULL DEFAULT 1,
        -- The end of the output of the ping that caused it, for the message.
        output_tail text,
        status text NOT NULL,
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL,
        claimed_until timestamptz,
        last_error text,
        response_code integer,
        created_at timestamptz NOT NULL,
        sent_at timestamptz
      );
      CREATE INDEX notifications_due ON notifications(status, next_attempt_at);
      CREATE INDEX notifications_monitor ON notifications(monitor_id, id);
      CREATE INDEX notifications_batch ON notifications(monitor_id, channel_id, event, id);
      CREATE INDEX notifications_channel ON notifications(channel_id, id);
    `,
  },
  {
    version: 3,
    name: 'runs',
    sql: `
      -- Run rules (runtime bounds, tolerances, overlap policy) as one object; missing keys take defaults.
      ALTER TABLE monitors ADD COLUMN run_rules jsonb NOT NULL DEFAULT '{}';
      -- Open runs as [{runId, startedAt, activeAt}] (instants in epoch ms), oldest first.
      ALTER TABLE monitors ADD COLUMN open_runs jsonb NOT NULL DEFAULT '[]';
      ALTER TABLE monitors ADD COLUMN last_duration double precision;
      ALTER TABLE monitors ADD COLUMN state_reason text;
      ALTER TABLE monitors ADD COLUMN missed_streak integer NOT NULL DEFAULT 0;
      ALTER TABLE monitors ADD COLUMN failure_streak integer NOT NULL DEFAULT 0;
      ALTER TABLE monitors ADD COLUMN success_streak integer NOT NULL DEFAULT 0;
      UPDATE monitors SET open_runs = jsonb_build_array(jsonb_build_object(
          'runId', NULL,
          'startedAt', (extract(epoch FROM running_since) * 1000)::bigint,
          'activeAt', (extract(epoch FROM running_since) * 1000)::bigint))
        WHERE running_since IS NOT NULL;
      -- 'missed' for a tolerated missed run; NULL for a plain state change.
      ALTER TABLE flips ADD COLUMN kind text;
      CREATE TABLE runs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        monitor_id text COLLATE "C" NOT NULL REFERENCES monitors(id) ON DELETE CASCADE,
        run_key text COLLATE "C",
        started_at timestamptz,
        finished_at timestamptz,
        duration double precision,
        outcome text NOT NULL,
        failure_kind text,
        exit_code integer,
        reason text,
        start_ping_id bigint,
        end_ping_id bigint
      );
      CREATE INDEX runs_monitor ON runs(monitor_id, id);
      CREATE INDEX runs_open ON runs(monitor_id, started_at) WHERE outcome = 'running';
    `,
  },
  {
    version: 4,
    name: 'monitor extra',
    sql: `
      -- Descriptive attributes (note, defaultNote, defaultName, group, platform, metadata) as one object.
      ALTER TABLE monitors ADD COLUMN extra jsonb NOT NULL DEFAULT '{}';
    `,
  },
  {
    version: 5,
    name: 'unpaired runs on pings',
    sql: `
      -- As in the SQLite backend: a completion that closed no started run (most heartbeats) is kept on its own
      -- ping row instead of a second row in runs, which cost every such ping an INSERT with its index entries.
      ALTER TABLE pings ADD COLUMN run_outcome text, ADD COLUMN run_duration double precision,
        ADD COLUMN run_failure_kind text, ADD COLUMN run_reason text;
      UPDATE pings p SET run_outcome = r.outcome, run_duration = r.duration, run_failure_kind = r.failure_kind, run_reason = r.reason
        FROM runs r WHERE r.start_ping_id IS NULL AND r.end_ping_id = p.id;
      DELETE FROM runs WHERE start_ping_id IS NULL;
      -- A started run's id is its start ping's id, so runs and completions list in one order.
      ALTER TABLE runs ALTER COLUMN id DROP IDENTITY;
      UPDATE runs SET id = -start_ping_id;
      UPDATE runs SET id = -id;
      ALTER TABLE runs DROP COLUMN start_ping_id;
      ALTER TABLE runs ALTER COLUMN started_at SET NOT NULL;
    `,
  },
  {
    version: 6,
    name: 'pings deleted with their monitor by a trigger',
    sql: `
      -- The foreign key from pings to monitors checked every inserted ping with a FOR KEY SHARE lock on a row
      -- the batch had just updated: a tuple lock and its WAL record per ping (~10 % of PostgreSQL's CPU per
      -- ping; 5 462–5 941 → 6 137–6 347 pings/s in the HTTP benchmark without it). Pings are only ever
      -- inserted for monitors the same transaction has locked, so the check adds nothing there; deleting a
      -- monitor (by Overdue or by hand) still deletes its pings, in the same transaction, by this trigger.
      ALTER TABLE pings DROP CONSTRAINT IF EXISTS pings_monitor_id_fkey;
      CREATE FUNCTION delete_monitor_pings() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
      BEGIN
        DELETE FROM pings WHERE monitor_id = OLD.id;
        RETURN OLD;
      END $$;
      CREATE TRIGGER monitors_delete_pings AFTER DELETE ON monitors FOR EACH ROW EXECUTE FUNCTION delete_monitor_pings();
    `,
  },
  {
    version: 7,
    name: 'scheduler index on due_at',
    sql: `
      -- The scheduler's index moves from deadline to due_at, which is never later than the deadline: whole-row
      -- writes set it to the deadline, a ping's status write only lowers it, and the scheduler raises a stale
      -- one when it reaches it. The usual ping moves the deadline later, so its status write now changes no
      -- indexed column and is a HOT update: with deadline indexed, each one added an entry to all five of the
      -- table's indexes (store level, batches of 100, two in flight: PostgreSQL CPU per ping 112-115 -> 74-76 us,
      -- pings/s +18-21 %).
      ALTER TABLE monitors ADD COLUMN due_at timestamptz;
      UPDATE monitors SET due_at = deadline;
      DROP INDEX monitors_deadline;
      CREATE INDEX monitors_due ON monitors(due_at) WHERE due_at IS NOT NULL;
    `,
  },
];
