-- Per system: whether the VDXP-compatible API demands a fresh XroadVnpt-timestamp (Việt Nam time, within
-- limits.vdxpReplayWindowSeconds) and refuses a signature's reuse. Off by default: SDKVXP 2.0.1 signs once per
-- service object and writes its machine's local time with no zone, so strict checks refuse today's clients.
ALTER TABLE systems ADD COLUMN vdxp_strict INTEGER NOT NULL DEFAULT 0 CHECK (vdxp_strict IN (0, 1));
