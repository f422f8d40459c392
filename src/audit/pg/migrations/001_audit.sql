-- The audit on PostgreSQL: the columns, types and meaning of SQLite's ami_audit after its
-- migration 3 (src/audit/migrations/), so that a row hashes the same in both.
CREATE TABLE ami_audit (
  id bigint PRIMARY KEY CHECK (id > 0 AND id <= 9007199254740991),
  user_id text NOT NULL,
  action text NOT NULL,
  target text,
  job_id text,
  timestamp bigint NOT NULL,
  role text,
  outcome text CHECK (outcome IN ('attempt', 'ok', 'denied', 'error')),
  status bigint,
  request_id text,
  remote_addr text,
  detail text CHECK (detail IS NULL OR detail::json IS NOT NULL),
  prev_hash text,
  hash text
);
CREATE INDEX ami_audit_timestamp ON ami_audit (timestamp, id);
CREATE INDEX ami_audit_user_timestamp ON ami_audit (user_id, timestamp);
CREATE INDEX ami_audit_target_timestamp ON ami_audit (target, timestamp);
CREATE INDEX ami_audit_action_timestamp ON ami_audit (action, timestamp);
CREATE INDEX ami_audit_job ON ami_audit (job_id);
CREATE INDEX ami_audit_outcome_timestamp ON ami_audit (outcome, timestamp);

-- The chain's head: the last row's id and the last chained row's hash. Every append locks this
-- one row (SELECT ... FOR UPDATE), so that proxies writing to one database append one chain, one
-- batch after another, with ids that follow each other without gaps (a gap is a deleted row).
CREATE TABLE ami_audit_head (
  singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  id bigint NOT NULL CHECK (id >= 0),
  hash text
);
INSERT INTO ami_audit_head (id, hash) VALUES (0, NULL);
