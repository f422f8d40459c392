CREATE TABLE ami_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  job_id TEXT,
  timestamp INTEGER NOT NULL
);
