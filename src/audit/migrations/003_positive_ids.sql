-- Ids are positive and exact in JavaScript (verify reads every row from the smallest id; a row with
-- id <= 0 or beyond 2^53 - 1 is refused here). SQLite adds a CHECK only by rebuilding the table:
-- every row is copied with its id and hashes, the AUTOINCREMENT counter is kept (ids of deleted
-- rows are never reused, so a deletion stays visible as a gap), the indexes are made again.
-- astrix refuses to run this on a table holding ids <= 0 (src/audit/schema.ts says why).
CREATE TABLE ami_audit_003 (
  id INTEGER PRIMARY KEY AUTOINCREMENT CHECK (id > 0 AND id <= 9007199254740991),
  user_id TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  job_id TEXT,
  timestamp INTEGER NOT NULL,
  role TEXT,
  outcome TEXT CHECK (outcome IN ('attempt', 'ok', 'denied', 'error')),
  status INTEGER,
  request_id TEXT,
  remote_addr TEXT,
  detail TEXT CHECK (detail IS NULL OR json_valid(detail)),
  prev_hash TEXT,
  hash TEXT
);
INSERT INTO ami_audit_003 (id, user_id, action, target, job_id, timestamp, role, outcome, status,
    request_id, remote_addr, detail, prev_hash, hash)
  SELECT id, user_id, action, target, job_id, timestamp, role, outcome, status, request_id,
    remote_addr, detail, prev_hash, hash
  FROM ami_audit ORDER BY id;
CREATE TEMP TABLE ami_audit_003_seq AS
  SELECT coalesce(max(seq), 0) AS seq FROM sqlite_sequence WHERE name = 'ami_audit';
DROP TABLE ami_audit;
ALTER TABLE ami_audit_003 RENAME TO ami_audit;
DELETE FROM sqlite_sequence WHERE name IN ('ami_audit', 'ami_audit_003');
INSERT INTO sqlite_sequence (name, seq)
  SELECT 'ami_audit', max((SELECT seq FROM temp.ami_audit_003_seq),
    (SELECT coalesce(max(id), 0) FROM ami_audit));
DROP TABLE temp.ami_audit_003_seq;

CREATE INDEX ami_audit_timestamp ON ami_audit (timestamp);
CREATE INDEX ami_audit_user_timestamp ON ami_audit (user_id, timestamp);
CREATE INDEX ami_audit_target_timestamp ON ami_audit (target, timestamp);
CREATE INDEX ami_audit_action_timestamp ON ami_audit (action, timestamp);
CREATE INDEX ami_audit_job ON ami_audit (job_id);
CREATE INDEX ami_audit_outcome_timestamp ON ami_audit (outcome, timestamp);
