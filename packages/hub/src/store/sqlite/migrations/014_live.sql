-- The inbox read (sql-shared.ts inboxSql), run on every long-poll's arrival and wake: a system's agencies' pending
-- deliveries in seq order. deliveries_inbox starts (recipient, kind, …) and that read names no kind, so each
-- agency walked every delivery it ever received (deliveries_recipient_seq) to find its few pending ones: the
-- hub's largest cost under live traffic, growing with the history. This index holds the pending ones alone
-- (a delivery leaves it when acked done, expired, recalled or dead), keyed as the read walks them.
CREATE INDEX deliveries_pending ON deliveries (recipient, seq) WHERE state IN ('queued', 'fetched');
