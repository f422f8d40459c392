import { assertEquals, assertThrows } from "../_support/assert.ts";
import { AuditAnchorError, AuditLog, AuditUnavailableError } from "../../src/audit/mod.ts";
import { anchorFile, assertCanRecord, readAnchor, recordAnchor } from "../../src/audit/anchor.ts";

const A = { id: 1, hash: "a".repeat(64) };

Deno.test("recordAnchor writes once (0600), again with the same start is a no-op, another start is refused", () => {
  const file = `${Deno.makeTempDirSync()}/audit.key.anchor`;
  assertEquals(readAnchor(file), undefined, "no chain yet");
  recordAnchor(file, A);
  assertEquals(Deno.readTextFileSync(file), `1:${"a".repeat(64)}\n`);
  assertEquals(Deno.statSync(file).mode! & 0o777, 0o600);
  recordAnchor(file, A);
  assertThrows(
    () => recordAnchor(file, { id: 2, hash: "b".repeat(64) }),
    AuditAnchorError,
    "one key anchors one chain",
  );
  assertEquals(readAnchor(file), A, "not replaced");
  Deno.writeTextFileSync(file, "garbage");
  assertThrows(() => readAnchor(file), AuditAnchorError, "does not record an audit chain start");
});

Deno.test("anchorFile is beside the key", () => {
  assertEquals(anchorFile("/etc/astrix/audit.key"), "/etc/astrix/audit.key.anchor");
});

Deno.test("AuditLog records the chain start when the chain starts, and one key cannot anchor two databases", () => {
  const dir = Deno.makeTempDirSync();
  const keyFile = `${dir}/shared.key`;
  const first = AuditLog.open(`${dir}/a.db`, { keyFile });
  assertEquals(readAnchor(anchorFile(keyFile)), undefined, "not before the first row");
  const row = first.append({ userId: "u", action: "listen", outcome: "ok" });
  assertEquals(readAnchor(anchorFile(keyFile)), row);
  first.close();
  // Another database with that key: its chain would not start where the key's anchor says.
  assertThrows(
    () => AuditLog.open(`${dir}/b.db`, { keyFile }),
    AuditUnavailableError,
    "one key anchors one chain",
  );
});

Deno.test("assertCanRecord refuses a place where the anchor file cannot be created", () => {
  assertThrows(
    () => assertCanRecord("/nonexistent-astrix-dir/audit.key.anchor"),
    AuditAnchorError,
    "/nonexistent-astrix-dir does not exist",
  );
  const readOnly = Deno.makeTempDirSync();
  Deno.chmodSync(readOnly, 0o500);
  if (Deno.uid() !== 0) { // root may write anywhere
    assertThrows(
      () => assertCanRecord(`${readOnly}/audit.key.anchor`),
      AuditAnchorError,
      "is not writable by this user",
    );
  }
  assertCanRecord(`${Deno.makeTempDirSync()}/audit.key.anchor`); // a writable folder: no error
});
