-- The nationwide overview's rollup (SQLite 009_counter_rollup.sql): day counters summed per day, metric, the
-- agency's level (-1: unknown) and the letter of its level-1 body, kept by a trigger in the statement that
-- changes `counters`, so in its transaction, whoever writes them (bumpCounter, `vdxp db copy`).

CREATE TABLE counter_rollup (
  day     TEXT COLLATE "C" NOT NULL,
  metric  TEXT COLLATE "C" NOT NULL,
  level   INTEGER NOT NULL,
  letter  TEXT COLLATE "C" NOT NULL,
  value   BIGINT NOT NULL,
  PRIMARY KEY (day, metric, level, letter)
);

INSERT INTO counter_rollup (day, metric, level, letter, value)
  SELECT c.day, c.metric, coalesce(a.level, -1), substr(c.agency, length(c.agency) - 2, 1), sum(c.value)
  FROM counters c LEFT JOIN agencies a ON a.code = c.agency GROUP BY 1, 2, 3, 4;

CREATE FUNCTION counter_rollup_add(p_day TEXT, p_metric TEXT, p_agency TEXT, p_by BIGINT) RETURNS void LANGUAGE sql AS $$
  INSERT INTO counter_rollup (day, metric, level, letter, value)
    VALUES (p_day, p_metric, coalesce((SELECT level FROM agencies WHERE code = p_agency), -1), substr(p_agency, length(p_agency) - 2, 1), p_by)
    ON CONFLICT (day, metric, level, letter) DO UPDATE SET value = counter_rollup.value + excluded.value;
$$;

CREATE FUNCTION counters_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM counter_rollup_add(OLD.day, OLD.metric, OLD.agency, -OLD.value); END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM counter_rollup_add(NEW.day, NEW.metric, NEW.agency, NEW.value); END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER counters_rollup AFTER INSERT OR UPDATE OR DELETE ON counters FOR EACH ROW EXECUTE FUNCTION counters_rollup();
