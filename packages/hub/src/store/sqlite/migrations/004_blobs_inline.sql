-- Small packets live here instead of in blobs/, written in the transaction of the document that names them:
-- the WAL commit (synchronous=FULL) makes them durable, with no staged file, no fsync of its own, no rename
-- and no directory fsync. A digest is here or a file, never both (intake decides by size). A rowid table, not
-- WITHOUT ROWID: SQLite advises the latter only for rows under ~1/20 of a page, and these are kilobytes.
CREATE TABLE blobs_inline (
  digest  TEXT PRIMARY KEY,   -- sha256 (hex) of the packet bytes, as documents.digest
  bytes   BLOB NOT NULL
);
