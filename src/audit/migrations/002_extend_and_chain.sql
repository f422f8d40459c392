-- Who and how it ended, for auditors; and the hash chain that makes changes visible.
-- Rows written before this migration keep NULL here: verify reports them as legacy rows.
ALTER TABLE ami_audit ADD COLUMN role TEXT;
ALTER TABLE ami_audit ADD COLUMN outcome TEXT CHECK (outcome IN ('attempt', 'ok', 'denied', 'error'));
ALTER TABLE ami_audit ADD COLUMN status INTEGER;
ALTER TABLE ami_audit ADD COLUMN request_id TEXT;
ALTER TABLE ami_audit ADD COLUMN remote_addr TEXT;
ALTER TABLE ami_audit ADD COLUMN detail TEXT CHECK (detail IS NULL OR json_valid(detail));
ALTER TABLE ami_audit ADD COLUMN prev_hash TEXT;
ALTER TABLE ami_audit ADD COLUMN hash TEXT;

CREATE INDEX ami_audit_timestamp ON ami_audit (timestamp);
CREATE INDEX ami_audit_user_timestamp ON ami_audit (user_id, timestamp);
CREATE INDEX ami_audit_target_timestamp ON ami_audit (target, timestamp);
CREATE INDEX ami_audit_action_timestamp ON ami_audit (action, timestamp);
CREATE INDEX ami_audit_job ON ami_audit (job_id);
CREATE INDEX ami_audit_outcome_timestamp ON ami_audit (outcome, timestamp);
