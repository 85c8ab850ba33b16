-- Retention: a cut moves a prefix of the evidence chain, with the packets of the documents accepted in it, into
-- one archive file (archive.ts). The live chain then continues from the last checkpoint's hash.
CREATE TABLE archive_checkpoints (
  last_seq    INTEGER PRIMARY KEY,             -- the last event in the archive; the live chain starts after it
  first_seq   INTEGER NOT NULL,
  prev_hash   TEXT NOT NULL,                   -- the hash the segment starts from (genesis or the previous checkpoint)
  hash        TEXT NOT NULL,                   -- the hash of event last_seq
  file        TEXT NOT NULL UNIQUE,            -- name in data/archive/
  sha256      TEXT NOT NULL,                   -- of the whole archive file
  documents   INTEGER NOT NULL,
  created_at  INTEGER NOT NULL
);
-- The archive file that holds the document's packet; NULL while it is live. Rows stay: the timeline is kept.
ALTER TABLE documents ADD COLUMN archived_in TEXT;
CREATE INDEX documents_archived_in ON documents (archived_in) WHERE archived_in IS NOT NULL;
-- Whether a live document still names an archived document's digest (content-addressed: two documents may
-- share one) is asked once per archived digest: main's 007_documents_digest_index.sql (h4) indexes documents
-- (digest) for start-up, and these lookups use that index; not created here, so that 007 still applies.
