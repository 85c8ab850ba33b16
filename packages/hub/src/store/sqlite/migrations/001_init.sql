-- vdxp hub schema, SQLite dialect. Times are milliseconds since the epoch (the injected clock's).

CREATE TABLE agencies (
  code         TEXT PRIMARY KEY,            -- as on the wire (legacy 13-char, QĐ20 or free test ids)
  name         TEXT NOT NULL,
  parent       TEXT,                        -- code of the parent agency
  level        INTEGER,
  other_codes  TEXT NOT NULL DEFAULT '[]',  -- JSON array: legacy / QĐ20 codes that also name it
  email        TEXT,
  phone        TEXT,
  state        TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'suspended', 'merged', 'dissolved')),
  successor    TEXT,                        -- where documents go once merged/dissolved
  valid_from   INTEGER,
  valid_to     INTEGER,
  version      INTEGER NOT NULL,            -- registry-wide counter at the last change (delta sync)
  deleted      INTEGER NOT NULL DEFAULT 0,
  updated_at   INTEGER NOT NULL
);
CREATE INDEX agencies_version ON agencies (version);
CREATE INDEX agencies_parent ON agencies (parent);

CREATE TABLE agency_codes (                 -- every other code resolves to its agency
  code   TEXT PRIMARY KEY,
  agency TEXT NOT NULL REFERENCES agencies (code)
);

CREATE TABLE systems (
  id           TEXT PRIMARY KEY,            -- the system id (VDXP systemid)
  name         TEXT NOT NULL,
  token_hash   TEXT NOT NULL,               -- sha256 of the bearer token
  secret       TEXT NOT NULL,               -- VDXP HMAC secret, sealed with the data folder's key
  state        TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'suspended')),
  push_url     TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);
CREATE UNIQUE INDEX systems_token ON systems (token_hash);

CREATE TABLE system_agencies (
  system_id  TEXT NOT NULL REFERENCES systems (id),
  agency     TEXT NOT NULL,
  PRIMARY KEY (system_id, agency)
);
CREATE INDEX system_agencies_agency ON system_agencies (agency);

CREATE TABLE registry_meta (
  key    TEXT PRIMARY KEY,
  value  INTEGER NOT NULL
);
INSERT INTO registry_meta (key, value) VALUES ('version', 0);

CREATE TABLE documents (
  id              TEXT PRIMARY KEY,
  seq             INTEGER NOT NULL UNIQUE,
  kind            TEXT NOT NULL CHECK (kind IN ('edoc', 'status')),
  business_type   INTEGER NOT NULL DEFAULT 0,   -- 0 new, 1 revoke, 2 update, 3 replace
  from_agency     TEXT NOT NULL,
  sender_system   TEXT NOT NULL,
  edxml_id        TEXT,                          -- MessageHeader/DocumentId as sent
  subject         TEXT,
  code_number     TEXT,
  code_notation   TEXT,
  status_code     TEXT,
  answers         TEXT,                          -- status packets: the document they answer
  due_at          INTEGER,
  digest          TEXT NOT NULL,                 -- sha256 of the stored packet bytes
  bytes           INTEGER NOT NULL,
  header          TEXT NOT NULL,                 -- parsed header, JSON
  signature       TEXT NOT NULL,                 -- verdict, JSON
  received_at     INTEGER NOT NULL
);
CREATE INDEX documents_edxml_id ON documents (from_agency, edxml_id);
CREATE INDEX documents_sender ON documents (sender_system, seq);

CREATE TABLE document_keys (                  -- exactly-once: a resend maps to the first document
  key          TEXT PRIMARY KEY,
  document_id  TEXT NOT NULL REFERENCES documents (id)
);

CREATE TABLE document_links (
  document_id  TEXT NOT NULL REFERENCES documents (id),
  related_id   TEXT NOT NULL REFERENCES documents (id),
  relation     TEXT NOT NULL CHECK (relation IN ('replaces', 'updates', 'revokes')),
  PRIMARY KEY (document_id, related_id, relation)
);
CREATE INDEX document_links_related ON document_links (related_id);

CREATE TABLE deliveries (
  id               TEXT PRIMARY KEY,
  seq              INTEGER NOT NULL UNIQUE,      -- inbox order and cursor
  document_id      TEXT NOT NULL REFERENCES documents (id),
  kind             TEXT NOT NULL,
  recipient        TEXT NOT NULL,                -- agency code the packet is delivered to
  addressed_to     TEXT NOT NULL,                -- the code the sender wrote (differs after a merger)
  state            TEXT NOT NULL CHECK (state IN ('queued', 'fetched', 'done', 'dead', 'expired', 'recalled')),
  attempts         INTEGER NOT NULL DEFAULT 0,   -- failures reported by the recipient
  business_status  TEXT,
  last_reason      TEXT,
  created_at       INTEGER NOT NULL,
  fetched_at       INTEGER,
  acked_at         INTEGER,
  expires_at       INTEGER NOT NULL,
  answer_due_at    INTEGER,                      -- end of the next working day: 01/03 expected by then
  overdue          INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deliveries_inbox ON deliveries (recipient, kind, state, seq);
CREATE INDEX deliveries_document ON deliveries (document_id);
CREATE INDEX deliveries_expiry ON deliveries (state, expires_at);

CREATE TABLE delivery_statuses (
  delivery_id  TEXT NOT NULL REFERENCES deliveries (id),
  seq          INTEGER NOT NULL,
  status_code  TEXT NOT NULL,
  document_id  TEXT,                             -- the status packet that carried it (NULL when the hub set it)
  description  TEXT,
  at           INTEGER NOT NULL,
  PRIMARY KEY (delivery_id, seq)
);

CREATE TABLE events (
  seq          INTEGER PRIMARY KEY,
  at           INTEGER NOT NULL,
  type         TEXT NOT NULL,
  actor        TEXT,
  document_id  TEXT,
  delivery_id  TEXT,
  data         TEXT NOT NULL,                    -- JSON
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL
);
CREATE INDEX events_document ON events (document_id);

CREATE TABLE counters (
  day     TEXT NOT NULL,                         -- yyyy-MM-dd, Asia/Ho_Chi_Minh
  agency  TEXT NOT NULL,
  metric  TEXT NOT NULL,
  value   INTEGER NOT NULL,
  PRIMARY KEY (day, agency, metric)
);
