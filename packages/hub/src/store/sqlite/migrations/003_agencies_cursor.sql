-- getAgenciesList pages through 111,000 agencies by (version, code); one import is one version, so without
-- this index every page sorted the rest of that version (1.1-1.2 s for the whole list; ~0.6 s with it).
CREATE INDEX agencies_version_code ON agencies (version, code);
DROP INDEX agencies_version;
