-- The MES tables the example query reads, modelled on the original system's
-- database: workplaces, their states (with colours), the people and orders
-- at them, and records of what happened when. A record with no
-- date_time_end is the current one. Written for PostgreSQL and SQLite alike
-- (SQLite takes the type names as affinities and stores times as ISO text).

CREATE TABLE workplaces (
  id integer PRIMARY KEY,
  name varchar(255) NOT NULL,
  code varchar(64) NOT NULL UNIQUE
);

CREATE TABLE states (
  id integer PRIMARY KEY,
  name varchar(255) NOT NULL UNIQUE,
  color varchar(7) NOT NULL
);

CREATE TABLE users (
  id integer PRIMARY KEY,
  first_name varchar(255) NOT NULL,
  last_name varchar(255) NOT NULL,
  barcode varchar(64) UNIQUE
);

CREATE TABLE orders (
  id integer PRIMARY KEY,
  name varchar(255) NOT NULL UNIQUE,
  pieces_requested integer
);

CREATE TABLE downtimes (
  id integer PRIMARY KEY,
  name varchar(255) NOT NULL UNIQUE
);

CREATE TABLE state_records (
  id integer PRIMARY KEY,
  workplace_id integer NOT NULL REFERENCES workplaces (id) ON DELETE CASCADE,
  state_id integer NOT NULL REFERENCES states (id),
  date_time_start timestamptz NOT NULL,
  date_time_end timestamptz
);

CREATE TABLE downtime_records (
  id integer PRIMARY KEY,
  workplace_id integer NOT NULL REFERENCES workplaces (id) ON DELETE CASCADE,
  downtime_id integer NOT NULL REFERENCES downtimes (id),
  date_time_start timestamptz NOT NULL,
  date_time_end timestamptz
);

CREATE TABLE order_records (
  id integer PRIMARY KEY,
  workplace_id integer NOT NULL REFERENCES workplaces (id) ON DELETE CASCADE,
  order_id integer NOT NULL REFERENCES orders (id),
  user_id integer REFERENCES users (id),
  date_time_start timestamptz NOT NULL,
  date_time_end timestamptz
);

-- The query reads only the open records: keep that cheap however long the history grows.
CREATE INDEX state_records_open ON state_records (workplace_id) WHERE date_time_end IS NULL;
CREATE INDEX downtime_records_open ON downtime_records (workplace_id) WHERE date_time_end IS NULL;
CREATE INDEX order_records_open ON order_records (workplace_id) WHERE date_time_end IS NULL;
