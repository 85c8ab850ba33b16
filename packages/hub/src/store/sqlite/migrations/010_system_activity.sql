-- The console's "last seen" and error rate per connected system: one row per system and hour it called in,
-- with the calls it made, how many were refused, and its latest call's time and protocol (native or vdxp).
-- Written by each node at most once a minute per system (activity.ts), never once per request.

CREATE TABLE system_activity (
  system_id  TEXT NOT NULL,
  hour_at    INTEGER NOT NULL,   -- the hour's first millisecond (UTC)
  calls      INTEGER NOT NULL,
  refusals   INTEGER NOT NULL,
  last_at    INTEGER NOT NULL,
  protocol   TEXT NOT NULL,
  PRIMARY KEY (system_id, hour_at)
);

-- One agency's history for its console page: added, renamed, merged, dissolved (each with its actor, time and,
-- for a merger or dissolution, the successor and the date it took effect), written by registry.ts in the
-- change's own transaction. Changes made before it existed are in the evidence trail (agency:* events) only.
CREATE TABLE agency_history (
  id         INTEGER PRIMARY KEY,
  code       TEXT NOT NULL,
  kind       TEXT NOT NULL,       -- added | renamed | merged | dissolved
  at         INTEGER NOT NULL,    -- when it was recorded
  effective  INTEGER,             -- merged/dissolved: the date it took effect (validTo)
  name       TEXT,                -- the name after the change
  old_name   TEXT,                -- renamed: the name before
  successor  TEXT,
  actor      TEXT
);
CREATE INDEX agency_history_code ON agency_history (code, id);
CREATE INDEX agency_history_successor ON agency_history (successor, id) WHERE successor IS NOT NULL;
