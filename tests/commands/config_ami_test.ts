/** The proxy's PBXs as config-file tables: `[proxy.ami.<name>]` → the `--ami` targets. */

import { InvalidArgumentError } from "commander";
import { assertEquals, assertThrows } from "../_support/assert.ts";
import { readAmiTables } from "../../commands/ami_config.ts";

Deno.test("readAmiTables takes each PBX's address and its own user, secret and md5", () => {
  assertEquals(
    readAmiTables({
      floor1: { address: "10.1.0.5:5038" },
      floor2: { address: "10.2.0.5", user: "astrix2", secret: "s", md5: false },
      lab: { address: "[::1]:6038", "secret-file": "/etc/astrix/lab.secret" },
    }, "proxy.ami"),
    [
      { name: "floor1", host: "10.1.0.5", port: 5038 },
      { name: "floor2", host: "10.2.0.5", port: 5038, user: "astrix2", secret: "s", md5: false },
      { name: "lab", host: "::1", port: 6038, secretFile: "/etc/astrix/lab.secret" },
    ],
  );
});

Deno.test("readAmiTables refuses a PBX it cannot use, naming it", () => {
  const cases: [Record<string, unknown>, string][] = [
    [{}, 'proxy.ami names no PBX: add [proxy.ami.<name>] address = "HOST:PORT"'],
    [{ floor1: "10.1.0.5:5038" }, "proxy.ami.floor1 must be a table"],
    [{ floor1: {} }, "proxy.ami.floor1 has no address"],
    [
      { floor1: { address: "10.1.0.5:99999" } },
      'proxy.ami.floor1.address: "10.1.0.5:99999" is not',
    ],
    [{ floor1: { address: 5038 } }, "proxy.ami.floor1.address must be a string, not a number"],
    [{ floor1: { address: "h", md5: "yes" } }, "proxy.ami.floor1.md5 must be true or false"],
    [{ floor1: { address: "h", secretFile: "/x" } }, '"secretFile" (did you mean "secret-file"?)'],
    [{ "Floor 1": { address: "h" } }, "proxy.ami.Floor 1: a PBX's name is 1 to 32 of a-z"],
  ];
  for (const [tables, message] of cases) {
    assertThrows(() => readAmiTables(tables, "proxy.ami"), InvalidArgumentError, message);
  }
});
