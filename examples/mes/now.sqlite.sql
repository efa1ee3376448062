-- Moves every time of the seed (written as if it were 2026-11-30 10:00 UTC)
-- to the present, so the board's durations read minutes, not months.
-- SQLite; now.postgres.sql does the same for PostgreSQL.
UPDATE state_records SET
  date_time_start = strftime('%Y-%m-%dT%H:%M:%SZ', julianday(date_time_start) + julianday('now') - julianday('2026-11-30T10:00:00Z')),
  date_time_end = strftime('%Y-%m-%dT%H:%M:%SZ', julianday(date_time_end) + julianday('now') - julianday('2026-11-30T10:00:00Z'));
UPDATE downtime_records SET
  date_time_start = strftime('%Y-%m-%dT%H:%M:%SZ', julianday(date_time_start) + julianday('now') - julianday('2026-11-30T10:00:00Z')),
  date_time_end = strftime('%Y-%m-%dT%H:%M:%SZ', julianday(date_time_end) + julianday('now') - julianday('2026-11-30T10:00:00Z'));
UPDATE order_records SET
  date_time_start = strftime('%Y-%m-%dT%H:%M:%SZ', julianday(date_time_start) + julianday('now') - julianday('2026-11-30T10:00:00Z')),
  date_time_end = strftime('%Y-%m-%dT%H:%M:%SZ', julianday(date_time_end) + julianday('now') - julianday('2026-11-30T10:00:00Z'));
