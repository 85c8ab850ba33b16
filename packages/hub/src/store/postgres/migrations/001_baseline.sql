-- vdxp hub schema, PostgreSQL dialect: the SQLite migrations 001–007 in one baseline (later SQLite migrations
-- are ported as 002_…, 003_… here). Times are milliseconds since the epoch (BIGINT); JSON that the evidence
-- chain hashes is TEXT, kept byte for byte; codes and ids sort bytewise (COLLATE "C") as they do in SQLite,
-- whatever the database's locale, so pages and cursors agree between engines.

CREATE TABLE agencies (
  code         TEXT COLLATE "C" PRIMARY KEY,
  name         TEXT NOT NULL,
  parent       TEXT COLLATE "C",
  level        INTEGER,
  other_codes  TEXT NOT NULL DEFAULT '[]',
  email        TEXT,
  phone        TEXT,
  state        TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'suspended', 'merged', 'dissolved')),
  successor    TEXT COLLATE "C",
  valid_from   BIGINT,
  valid_to     BIGINT,
  version      BIGINT NOT NULL,
  deleted      BOOLEAN NOT NULL DEFAULT false,
  updated_at   BIGINT NOT NULL
);
CREATE INDEX agencies_version_code ON agencies (version, code);
CREATE INDEX agencies_parent ON agencies (parent);

CREATE TABLE agency_codes (
  code   TEXT COLLATE "C" PRIMARY KEY,
  agency TEXT COLLATE "C" NOT NULL REFERENCES agencies (code)
);
CREATE INDEX agency_codes_agency ON agency_codes (agency);

CREATE TABLE systems (
  id           TEXT COLLATE "C" PRIMARY KEY,
  name         TEXT NOT NULL,
  token_hash   TEXT NOT NULL,
  secret       TEXT NOT NULL,
  state        TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'suspended')),
  push_url     TEXT,
  vdxp_strict  BOOLEAN NOT NULL DEFAULT false,
  created_at   BIGINT NOT NULL,
  updated_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX systems_token ON systems (token_hash);

CREATE TABLE system_agencies (
  system_id  TEXT COLLATE "C" NOT NULL REFERENCES systems (id),
  agency     TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (system_id, agency)
);
CREATE INDEX system_agencies_agency ON system_agencies (agency);

CREATE TABLE registry_meta (
  key    TEXT PRIMARY KEY,
  value  BIGINT NOT NULL
);
INSERT INTO registry_meta (key, value) VALUES ('version', 0);

CREATE TABLE documents (
  id              TEXT COLLATE "C" PRIMARY KEY,
  seq             BIGINT NOT NULL UNIQUE,
  kind            TEXT NOT NULL CHECK (kind IN ('edoc', 'status')),
  business_type   INTEGER NOT NULL DEFAULT 0,
  from_agency     TEXT COLLATE "C" NOT NULL,
  sender_system   TEXT COLLATE "C" NOT NULL,
  edxml_id        TEXT,
  subject         TEXT,
  code_number     TEXT,
  code_notation   TEXT,
  status_code     TEXT,
  answers         TEXT,
  due_at          BIGINT,
  digest          TEXT NOT NULL,
  bytes           BIGINT NOT NULL,
  header          TEXT NOT NULL,
  signature       TEXT NOT NULL,
  received_at     BIGINT NOT NULL,
  archived_in     TEXT
);
CREATE INDEX documents_edxml_id ON documents (from_agency, edxml_id);
CREATE INDEX documents_sender ON documents (sender_system, seq);
CREATE INDEX documents_archived_in ON documents (archived_in) WHERE archived_in IS NOT NULL;
CREATE INDEX documents_digest ON documents (digest);

CREATE TABLE document_keys (
  key          TEXT PRIMARY KEY,
  document_id  TEXT COLLATE "C" NOT NULL REFERENCES documents (id)
);

CREATE TABLE document_links (
  document_id  TEXT COLLATE "C" NOT NULL REFERENCES documents (id),
  related_id   TEXT COLLATE "C" NOT NULL REFERENCES documents (id),
  relation     TEXT NOT NULL CHECK (relation IN ('replaces', 'updates', 'revokes')),
  PRIMARY KEY (document_id, related_id, relation)
);
CREATE INDEX document_links_related ON document_links (related_id);

CREATE TABLE deliveries (
  id               TEXT COLLATE "C" PRIMARY KEY,
  seq              BIGINT NOT NULL UNIQUE,
  document_id      TEXT COLLATE "C" NOT NULL REFERENCES documents (id),
  kind             TEXT NOT NULL,
  recipient        TEXT COLLATE "C" NOT NULL,
  addressed_to     TEXT NOT NULL,
  state            TEXT NOT NULL CHECK (state IN ('queued', 'fetched', 'done', 'dead', 'expired', 'recalled')),
  attempts         INTEGER NOT NULL DEFAULT 0,
  business_status  TEXT,
  last_reason      TEXT,
  created_at       BIGINT NOT NULL,
  fetched_at       BIGINT,
  acked_at         BIGINT,
  expires_at       BIGINT NOT NULL,
  answer_due_at    BIGINT,
  overdue          BOOLEAN NOT NULL DEFAULT false
);
CREATE INDEX deliveries_inbox ON deliveries (recipient, kind, state, seq);
CREATE INDEX deliveries_document ON deliveries (document_id);
CREATE INDEX deliveries_expiry ON deliveries (state, expires_at);

CREATE TABLE delivery_statuses (
  delivery_id  TEXT COLLATE "C" NOT NULL REFERENCES deliveries (id),
  seq          INTEGER NOT NULL,
  status_code  TEXT NOT NULL,
  document_id  TEXT,
  description  TEXT,
  at           BIGINT NOT NULL,
  PRIMARY KEY (delivery_id, seq)
);

CREATE TABLE events (
  seq          BIGINT PRIMARY KEY,
  at           BIGINT NOT NULL,
  type         TEXT NOT NULL,
  actor        TEXT,
  document_id  TEXT,
  delivery_id  TEXT,
  data         TEXT NOT NULL,
  prev_hash    TEXT NOT NULL,
  hash         TEXT NOT NULL
);
CREATE INDEX events_document ON events (document_id);

CREATE TABLE counters (
  day     TEXT COLLATE "C" NOT NULL,
  agency  TEXT COLLATE "C" NOT NULL,
  metric  TEXT COLLATE "C" NOT NULL,
  value   BIGINT NOT NULL,
  PRIMARY KEY (day, agency, metric)
);

-- Small packets, written in the transaction of the document that names them (as in SQLite).
CREATE TABLE blobs_inline (
  digest  TEXT PRIMARY KEY,
  bytes   BYTEA NOT NULL
);

CREATE TABLE archive_checkpoints (
  last_seq    BIGINT PRIMARY KEY,
  first_seq   BIGINT NOT NULL,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL,
  file        TEXT NOT NULL UNIQUE,
  sha256      TEXT NOT NULL,
  documents   INTEGER NOT NULL,
  created_at  BIGINT NOT NULL
);

-- Large packets (what the embedded hub keeps as files in blobs/): chunks of at most pgPacketChunkBytes in a
-- table, not large objects. Each chunk is one short INSERT on any pooled connection, and a download reads a
-- few chunks per query: no transaction stays open across a slow client, either way. Large objects would need
-- one (lo_open works only inside a transaction), need lo_unlink to collect, and are not carried by logical
-- replication. An upload writes its chunks under a fresh upload id (packet_uploads) while it is parsed; the
-- document's transaction adopts them (packets row, upload row deleted), so the packet and its document
-- commit together. Uploads never adopted (a node died mid-upload, a refusal) are collected by the sweep.
CREATE TABLE packet_uploads (
  id          TEXT COLLATE "C" PRIMARY KEY,
  touched_at  BIGINT NOT NULL                  -- the last chunk written, for the idle collection
);
CREATE INDEX packet_uploads_touched ON packet_uploads (touched_at);

CREATE TABLE packet_chunks (
  upload_id  TEXT COLLATE "C" NOT NULL,
  n          INTEGER NOT NULL,                 -- 0, 1, 2… in order
  bytes      BYTEA NOT NULL,
  PRIMARY KEY (upload_id, n)
);
ALTER TABLE packet_chunks ALTER COLUMN bytes SET STORAGE EXTERNAL;  -- already compressed payloads: skip pglz

CREATE TABLE packets (
  digest     TEXT PRIMARY KEY,                 -- sha256 (hex), as documents.digest
  upload_id  TEXT COLLATE "C" NOT NULL UNIQUE,   -- its chunks
  bytes      BIGINT NOT NULL
);

-- VDXP replay protection shared by every node (http/vdxp/replay-cache.ts): a signature is claimed by inserting
-- it; a conflict on a live row is a replay. Rows past their expiry are pruned by the sweep.
CREATE TABLE vdxp_signatures (
  hash        TEXT PRIMARY KEY,
  expires_at  BIGINT NOT NULL
);
CREATE INDEX vdxp_signatures_expiry ON vdxp_signatures (expires_at);

-- Facts about the hub every node checks at start: `key_check`, an HMAC under the sealing key (hub.ts), so a
-- node given another key file refuses to start instead of failing to open every system's VDXP secret.
CREATE TABLE hub_meta (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);
