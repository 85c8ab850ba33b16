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
