-- One row per workplace: what its tile on the board shows. The key column is
-- workplace_id; every other column becomes a field of the tile's update.
-- Runs unchanged on PostgreSQL and SQLite.
SELECT
  w.id AS workplace_id,
  w.name AS name,
  s.name AS state,
  s.color AS color,
  u.first_name || ' ' || u.last_name AS operator,
  o.name AS "order",
  d.name AS reason,
  sr.date_time_start AS since
FROM workplaces w
LEFT JOIN state_records sr ON sr.workplace_id = w.id AND sr.date_time_end IS NULL
LEFT JOIN states s ON s.id = sr.state_id
LEFT JOIN order_records r ON r.workplace_id = w.id AND r.date_time_end IS NULL
LEFT JOIN orders o ON o.id = r.order_id
LEFT JOIN users u ON u.id = r.user_id
LEFT JOIN downtime_records dr ON dr.workplace_id = w.id AND dr.date_time_end IS NULL
LEFT JOIN downtimes d ON d.id = dr.downtime_id
ORDER BY w.id
