-- A bulk-load session (bulk-load.ts; `vdxp simulate --history`): the indexes and triggers set aside while it
-- loads, each with the statement that makes it again, and the counters as they were when it began (the rollups
-- get the difference at its end). Empty outside a session; opening the store finishes a session left open.
CREATE TABLE bulk_load (
  name             TEXT PRIMARY KEY,             -- '' for the session's own row
  type             TEXT NOT NULL CHECK (type IN ('session', 'index', 'trigger')),
  sql              TEXT NOT NULL,
  documents_after  INTEGER NOT NULL              -- the last document seq before the session
);

CREATE TABLE bulk_load_counters (
  day     TEXT NOT NULL,
  agency  TEXT NOT NULL,
  metric  TEXT NOT NULL,
  value   INTEGER NOT NULL,
  PRIMARY KEY (day, agency, metric)
) WITHOUT ROWID;
