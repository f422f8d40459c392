import { InvalidArgumentError } from "commander";
import { assertEquals, assertThrows } from "./_support/assert.ts";
import {
  parseCount,
  parseExtensions,
  parsePort,
  parsePublicUrl,
  parseRate,
  parseUsersFile,
  parseUserSpec,
} from "../src/config.ts";

Deno.test("parsePort takes 0 to 65535 and refuses the rest", () => {
  assertEquals([parsePort("0"), parsePort("5038"), parsePort("65535")], [0, 5038, 65535]);
  for (const bad of ["-1", "65536", "abc", "", "50.5"]) {
    assertThrows(() => parsePort(bad), InvalidArgumentError);
  }
});

Deno.test("parsePublicUrl takes an http(s) origin and refuses paths, queries and other schemes", () => {
  assertEquals(parsePublicUrl("https://console.example.com/"), "https://console.example.com");
  assertEquals(parsePublicUrl(" http://10.0.0.5:8080 "), "http://10.0.0.5:8080");
  for (
    const bad of [
      "console.example.com",
      "ftp://x",
      "https://x/console",
      "https://x/?a=1",
      "https://x/#f",
      "",
    ]
  ) {
    assertThrows(() => parsePublicUrl(bad), InvalidArgumentError);
  }
});

Deno.test("parseCount and parseRate take non-negative numbers", () => {
  assertEquals([parseCount("0"), parseCount("12"), parseRate("0.5"), parseRate("3")], [
    0,
    12,
    0.5,
    3,
  ]);
  for (const bad of ["-1", "1.5", "x", ""]) {
    assertThrows(() => parseCount(bad), InvalidArgumentError);
  }
  for (const bad of ["-0.1", "x", "", "Infinity"]) {
    assertThrows(() => parseRate(bad), InvalidArgumentError);
  }
});

Deno.test("parseExtensions reads ranges and lists, in order, without repeats", () => {
  assertEquals(parseExtensions("201-203"), ["201", "202", "203"]);
  assertEquals(parseExtensions("300, 201-202,300"), ["300", "201", "202"]);
  for (const bad of ["", "210-201", "abc", "201-"]) {
    assertThrows(() => parseExtensions(bad), InvalidArgumentError);
  }
});

Deno.test("parseUserSpec reads NAME:SECRET and never echoes the secret in its error", () => {
  assertEquals(parseUserSpec("app:s3:cret"), {
    username: "app",
    secret: "s3:cret",
    read: ["all"],
    write: ["all"],
  });
  const error = assertThrows(() => parseUserSpec("app:"), InvalidArgumentError);
  assertThrows(() => parseUserSpec(":secret"), InvalidArgumentError);
  assertEquals(error.message.includes("secret"), false);
});

Deno.test("parseUsersFile reads manager.conf sections and ignores general, permit and comments", () => {
  const users = parseUsersFile(`
[general]
enabled = yes
port = 5038

[astrix] ; the proxy
secret = s3cret
deny = 0.0.0.0/0.0.0.0
permit = 127.0.0.1/255.255.255.255
read = call, reporting
write = call,originate,reporting

[monitor]
secret=watch
read=all
`);
  assertEquals(users, [
    {
      username: "astrix",
      secret: "s3cret",
      read: ["call", "reporting"],
      write: ["call", "originate", "reporting"],
    },
    { username: "monitor", secret: "watch", read: ["all"], write: [] },
  ]);
  assertThrows(
    () => parseUsersFile("[x]\nread=all\n", "users.conf"),
    Error,
    "users.conf: user [x] has no secret",
  );
  assertThrows(() => parseUsersFile("[x]\nnonsense\n", "users.conf"), Error, "users.conf:2");
});
