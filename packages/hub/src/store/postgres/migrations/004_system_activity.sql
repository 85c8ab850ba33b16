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

-- One agency's history for its console page (SQLite 010): added, renamed, merged, dissolved, written by
-- registry.ts in the change's own transaction; changes made before it existed are in the evidence trail only.
CREATE TABLE agency_history (
  id         BIGSERIAL PRIMARY KEY,
  code       TEXT COLLATE "C" NOT NULL,
  kind       TEXT COLLATE "C" NOT NULL,
  at         BIGINT NOT NULL,
  effective  BIGINT,
  name       TEXT,
  old_name   TEXT,
  successor  TEXT COLLATE "C",
  actor      TEXT
);
CREATE INDEX agency_history_code ON agency_history (code, id);
CREATE INDEX agency_history_successor ON agency_history (successor, id) WHERE successor IS NOT NULL;
