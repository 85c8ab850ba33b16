-- The console's "last seen" and error rate per connected system (SQLite 010_system_activity.sql): one row per
-- system and hour it called in, its calls, refusals, latest call's time and protocol. Each node adds to it at
-- most once a minute per system with one UPSERT (additive, so nodes never overwrite each other's counts).

CREATE TABLE system_activity (
  system_id  TEXT COLLATE "C" NOT NULL,
  hour_at    BIGINT NOT NULL,
  calls      BIGINT NOT NULL,
  refusals   BIGINT NOT NULL,
  last_at    BIGINT NOT NULL,
  protocol   TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (system_id, hour_at)
);
