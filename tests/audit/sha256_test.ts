import { createHash, createHmac } from "node:crypto";
import { assert, assertEquals } from "../_support/assert.ts";
import { Sha256 } from "../../src/audit/sha256.ts";
import { ChainKey } from "../../src/audit/chain.ts";

Deno.test("Sha256 equals node:crypto for every length around the block and padding edges, fed whole or in pieces", () => {
  const data = crypto.getRandomValues(new Uint8Array(300));
  const sha = new Sha256();
  for (let length = 0; length <= 300; length++) {
    const bytes = data.subarray(0, length);
    const expected = createHash("sha256").update(bytes).digest("hex");
    assertEquals(sha.reset().update(bytes).hex(), expected, `${length} bytes`);
    const split = Math.floor(length / 3);
    sha.reset().update(bytes.subarray(0, split)).update(bytes.subarray(split, 2 * split));
    assertEquals(sha.update(bytes.subarray(2 * split)).hex(), expected, `${length} bytes in 3`);
  }
  assertEquals(
    new Sha256().update("abc").hex(),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
});

Deno.test("Sha256 hashes text as UTF-8, astral characters and long text included", () => {
  for (const text of ["", "é ünïcode", "👩‍💻🏳️‍🌈", "\u2028\u0000", "x".repeat(10_000)]) {
    assertEquals(new Sha256().update(text).hex(), createHash("sha256").update(text).digest("hex"));
  }
});

Deno.test("ChainKey.matches agrees with hash and refuses any other text", () => {
  const key = crypto.getRandomValues(new Uint8Array(32));
  const chainKey = new ChainKey(key);
  const prev = "ab".repeat(32);
  const row = '[1,"u","listen","SIP/202",null]';
  const hash = createHmac("sha256", key).update(prev + row).digest("hex");
  assertEquals(chainKey.hash(prev, row), hash);
  assert(chainKey.matches(prev, row, hash));
  assert(!chainKey.matches(prev, row, hash.toUpperCase()), "stored hashes are lowercase hex");
  assert(!chainKey.matches(prev, row, hash.slice(0, 63)));
  assert(!chainKey.matches(prev, row + " ", hash));
  assert(!chainKey.matches(prev, row, hash.slice(0, 63) + (hash[63] === "0" ? "1" : "0")));
});
