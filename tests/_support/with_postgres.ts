/**
 * Runs a command (the test suite) with one real PostgreSQL started for it:
 * `ASTRIX_TEST_PG_URL` tells the tests where (each makes its own database
 * there, see `./postgres.ts`), and the server is stopped, by its pid, when
 * the command ends. `deno task test` runs the suite through this.
 *
 *   deno run -A tests/_support/with_postgres.ts deno test ...
 *
 * Without Debian's PostgreSQL installed, the command runs without it, and
 * the tests that need it fail saying how to install it.
 *
 * @module
 */

import { startServer } from "./postgres.ts";

const [command, ...args] = Deno.args;
let server: Awaited<ReturnType<typeof startServer>> | undefined;
const env: Record<string, string> = {};
if (!Deno.env.get("ASTRIX_TEST_PG_URL")) {
  try {
    server = await startServer();
    env.ASTRIX_TEST_PG_URL = server.url;
    console.error(`with_postgres: PostgreSQL for the tests at ${server.url}`);
  } catch (error) {
    console.error(`with_postgres: no PostgreSQL for the tests: ${(error as Error).message}`);
  }
}
const child = new Deno.Command(command === "deno" ? Deno.execPath() : command, {
  args,
  env,
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
// Ctrl-C reaches the test runner (same process group); the server is stopped after it ends.
Deno.addSignalListener("SIGINT", () => {});
const status = await child.status;
await server?.stop();
Deno.exit(status.code);
