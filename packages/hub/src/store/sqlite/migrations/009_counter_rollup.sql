-- The nationwide overview's rollup: day counters summed per day, metric, the agency's level (-1: unknown) and the
-- letter of its level-1 body (third character from the end of the code), kept by triggers in the statement that
-- changes `counters`, so in its transaction, whoever writes them (bumpCounter, `vdxp db copy`). The level is the
-- agency's when its counter row is written: an agency imported later stays at -1 for the days counted before.

CREATE TABLE counter_rollup (
  day     TEXT NOT NULL,
  metric  TEXT NOT NULL,
  level   INTEGER NOT NULL,
  letter  TEXT NOT NULL,
  value   INTEGER NOT NULL,
  PRIMARY KEY (day, metric, level, letter)
);

INSERT INTO counter_rollup (day, metric, level, letter, value)
  SELECT c.day, c.metric, coalesce(a.level, -1), substr(c.agency, length(c.agency) - 2, 1), sum(c.value)
  FROM counters c LEFT JOIN agencies a ON a.code = c.agency GROUP BY 1, 2, 3, 4;

CREATE TRIGGER counters_rollup_insert AFTER INSERT ON counters BEGIN
  INSERT INTO counter_rollup (day, metric, level, letter, value)
    VALUES (NEW.day, NEW.metric, coalesce((SELECT level FROM agencies WHERE code = NEW.agency), -1), substr(NEW.agency, length(NEW.agency) - 2, 1), NEW.value)
    ON CONFLICT (day, metric, level, letter) DO UPDATE SET value = value + excluded.value;
END;

CREATE TRIGGER counters_rollup_update AFTER UPDATE ON counters BEGIN
  INSERT INTO counter_rollup (day, metric, level, letter, value)
    VALUES (OLD.day, OLD.metric, coalesce((SELECT level FROM agencies WHERE code = OLD.agency), -1), substr(OLD.agency, length(OLD.agency) - 2, 1), -OLD.value)
    ON CONFLICT (day, metric, level, letter) DO UPDATE SET value = value + excluded.value;
  INSERT INTO counter_rollup (day, metric, level, letter, value)
    VALUES (NEW.day, NEW.metric, coalesce((SELECT level FROM agencies WHERE code = NEW.agency), -1), substr(NEW.agency, length(NEW.agency) - 2, 1), NEW.value)
    ON CONFLICT (day, metric, level, letter) DO UPDATE SET value = value + excluded.value;
END;

CREATE TRIGGER counters_rollup_delete AFTER DELETE ON counters BEGIN
  INSERT INTO counter_rollup (day, metric, level, letter, value)
    VALUES (OLD.day, OLD.metric, coalesce((SELECT level FROM agencies WHERE code = OLD.agency), -1), substr(OLD.agency, length(OLD.agency) - 2, 1), -OLD.value)
    ON CONFLICT (day, metric, level, letter) DO UPDATE SET value = value + excluded.value;
END;
