-- The console (issue 8): people who log in, their sessions, failed logins (the rate limit), and the operator's
-- calendar of days off and make-up working days. Times are milliseconds since the epoch.

CREATE TABLE users (
  username       TEXT PRIMARY KEY,
  role           TEXT NOT NULL CHECK (role IN ('leader', 'operator', 'auditor')),
  scope          TEXT,                        -- agency code the account sees (and all under it); NULL: everything
  password_hash  TEXT NOT NULL,               -- scrypt$N$r$p$salt$hash (base64url), see users.ts
  state          TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'disabled')),
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL
);

CREATE TABLE sessions (
  token_hash  TEXT PRIMARY KEY,               -- sha256 of the cookie's token; the token itself is never stored
  username    TEXT NOT NULL REFERENCES users (username),
  csrf        TEXT NOT NULL,                  -- the token state-changing calls must echo in x-csrf-token
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (username);

CREATE TABLE login_failures (
  key  TEXT NOT NULL,                         -- 'user:<name>' or 'addr:<ip>'
  at   INTEGER NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key, at);

CREATE TABLE calendar_days (
  day         TEXT PRIMARY KEY,               -- yyyy-MM-dd, Việt Nam
  kind        TEXT NOT NULL CHECK (kind IN ('off', 'working')),  -- a day off, or a make-up working Saturday/Sunday
  note        TEXT,
  updated_at  INTEGER NOT NULL
);

-- The console's overdue list and counts read pending deliveries by their answer time.
CREATE INDEX deliveries_answer_due ON deliveries (answer_due_at) WHERE kind = 'edoc';
-- An agency's page lists the agencies merged into it.
CREATE INDEX agencies_successor ON agencies (successor) WHERE successor IS NOT NULL;
-- An agency's page reads its own counters for a year: without this, the (day, agency, metric) key scans every
-- agency's rows of that year (2.7 s p50 at 200,000 documents, scripts/console-bench-run.ts).
CREATE INDEX counters_agency ON counters (agency, day);
