-- The console (SQLite 008_console.sql): people who log in, their sessions, failed logins (the rate limit), and
-- the operator's calendar of days off and make-up working days. Times are milliseconds since the epoch.

CREATE TABLE users (
  username       TEXT COLLATE "C" PRIMARY KEY,
  role           TEXT NOT NULL CHECK (role IN ('leader', 'operator', 'auditor')),
  scope          TEXT COLLATE "C",
  password_hash  TEXT NOT NULL,
  state          TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'disabled')),
  created_at     BIGINT NOT NULL,
  updated_at     BIGINT NOT NULL
);

CREATE TABLE sessions (
  token_hash  TEXT PRIMARY KEY,
  username    TEXT COLLATE "C" NOT NULL REFERENCES users (username),
  csrf        TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (username);

CREATE TABLE login_failures (
  key  TEXT NOT NULL,
  at   BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);

CREATE TABLE calendar_days (
  day         TEXT COLLATE "C" PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('off', 'working')),
  note        TEXT,
  updated_at  BIGINT NOT NULL
);

CREATE INDEX deliveries_answer_due ON deliveries (answer_due_at) WHERE kind = 'edoc';
CREATE INDEX agencies_successor ON agencies (successor) WHERE successor IS NOT NULL;
-- An agency's page reads its own counters for a year.
CREATE INDEX counters_agency ON counters (agency, day);
