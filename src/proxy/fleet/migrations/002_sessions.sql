-- Console sessions shared by the proxies of a fleet, so that a browser's cookie works whichever
-- proxy the load balancer picks. The session id (the cookie's value, as good as the token) is
-- kept only as its SHA-256; the CSRF token is compared with what the browser sends.
CREATE TABLE astrix_sessions (
  id_hash text PRIMARY KEY,
  csrf_token text NOT NULL,
  principal text NOT NULL CHECK (principal::json IS NOT NULL),
  -- Seconds since the epoch: the token's exp.
  expires_at double precision NOT NULL
);
CREATE INDEX astrix_sessions_expiry ON astrix_sessions (expires_at);
