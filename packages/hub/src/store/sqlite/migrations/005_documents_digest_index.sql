-- Start-up recovery asks, for each staged file a crash left, whether a document names its digest: one indexed
-- lookup per staged file instead of reading every document's digest into memory at every start. Also what
-- `vdxp audit verify` asks of each packet file.
CREATE INDEX documents_digest ON documents (digest);
