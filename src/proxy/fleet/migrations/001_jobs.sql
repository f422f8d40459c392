-- Jobs shared by the proxies that write one PostgreSQL audit: each job's furthest state (the
-- API's JSON, its whole timeline) and the proxy that owns it: the one that started it, until it
-- stops answering and another takes its live jobs over. Proxies announce themselves in astrix_proxies; one that stops announcing has its live
-- jobs taken over by another.
CREATE TABLE astrix_jobs (
  id text PRIMARY KEY,
  pbx text NOT NULL,
  owner text NOT NULL,
  proxy text NOT NULL,
  status text NOT NULL,
  -- The length of its timeline: a state with more steps is further on.
  steps integer NOT NULL,
  ended_at timestamptz,
  job text NOT NULL CHECK (job::json IS NOT NULL),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX astrix_jobs_live ON astrix_jobs (proxy) WHERE ended_at IS NULL;
CREATE INDEX astrix_jobs_ended ON astrix_jobs (ended_at);

CREATE TABLE astrix_proxies (
  id text PRIMARY KEY,
  -- What the logs say of it (its listening URL and pid).
  description text NOT NULL,
  seen_at timestamptz NOT NULL
);
