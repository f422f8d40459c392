/** What to check when a PostgreSQL audit cannot be reached (every message that says so ends so). */
export const CHECK_POSTGRES = "Check that PostgreSQL runs there (pg_isready -h HOST -p PORT) and " +
  "that the URL's user, host, port and database are right";
