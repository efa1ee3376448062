-- Moves every time of the seed (written as if it were 2026-11-30 10:00 UTC)
-- to the present, so the board's durations read minutes, not months.
-- PostgreSQL; now.sqlite.sql does the same for SQLite.
UPDATE state_records SET
  date_time_start = date_time_start + (now() - timestamptz '2026-11-30 10:00:00+00'),
  date_time_end = date_time_end + (now() - timestamptz '2026-11-30 10:00:00+00');
UPDATE downtime_records SET
  date_time_start = date_time_start + (now() - timestamptz '2026-11-30 10:00:00+00'),
  date_time_end = date_time_end + (now() - timestamptz '2026-11-30 10:00:00+00');
UPDATE order_records SET
  date_time_start = date_time_start + (now() - timestamptz '2026-11-30 10:00:00+00'),
  date_time_end = date_time_end + (now() - timestamptz '2026-11-30 10:00:00+00');
