-- The inbox read's index (SQLite 014_live.sql, which says why): a system's agencies' pending deliveries alone,
-- by recipient then seq, so a long-poll's read and each wake probe it instead of every delivery ever received.
CREATE INDEX deliveries_pending ON deliveries (recipient, seq) WHERE state IN ('queued', 'fetched');
