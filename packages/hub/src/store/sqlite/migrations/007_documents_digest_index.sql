-- Start-up recovery asks, for each staged file a crash left, whether a document names its digest: one indexed
-- lookup per staged file instead of reading every document's digest into memory at every start (at 1,000,000
-- documents that Set alone took 22.9 s and 515 MB; scripts/startup-bench.ts). Also what `vdxp audit verify`
-- asks of each packet file. Built once, at the first start after the upgrade (10.9 s at 1,000,000 documents).
CREATE INDEX documents_digest ON documents (digest);
