import { assert, assertEquals } from "../_support/assert.ts";
import { ActionIds } from "../../src/ami/action_ids.ts";

Deno.test("ActionIds makes unique ActionIDs: a serial, a dash and 11 random characters", () => {
  const ids = new ActionIds();
  const made = Array.from({ length: 1_000 }, () => ids.next()); // several pools of random bits
  for (const [i, id] of made.entries()) {
    assert(/^[1-9][0-9]*-[A-Za-z0-9+/]{11}$/.test(id), id);
    assertEquals(ids.serialOf(id), i + 1);
  }
  assertEquals(ids.lastSerial, 1_000);
  assertEquals(new Set(made.map((id) => id.slice(-11))).size, 1_000, "random parts all differ");
  const other = new ActionIds().next();
  assert(other !== made[0] && other.startsWith("1-"), "another client's first ActionID differs");
});

Deno.test("ActionIds.serialOf reads only the shape it makes", () => {
  const ids = new ActionIds();
  const random = "AbCdEfGhIj+";
  assertEquals(ids.serialOf(`7-${random}`), 7);
  assertEquals(ids.serialOf(`123456789012345-${random}`), 123456789012345);
  for (
    const id of [
      `07-${random}`, // leading zero: not how a serial is written
      `-${random}`,
      `1234567890123456-${random}`, // too many digits
      `7-${random}x`,
      `7-${random.slice(1)}`,
      `7x${random}`,
      `7a-${random}`,
      "mine",
      "",
      crypto.randomUUID(),
    ]
  ) {
    assertEquals(ids.serialOf(id), undefined, id);
  }
});

Deno.test("ActionIds draws its random part without Uint8Array.prototype.toBase64 (Node) too", () => {
  const proto = Uint8Array.prototype as { toBase64?: unknown };
  const own = Object.getOwnPropertyDescriptor(proto, "toBase64");
  Object.defineProperty(proto, "toBase64", {
    value: undefined,
    configurable: true,
    writable: true,
  });
  try {
    const ids = new ActionIds();
    const made = Array.from({ length: 400 }, () => ids.next());
    for (const id of made) assert(/^[1-9][0-9]*-[A-Za-z0-9+/]{11}$/.test(id), id);
    assertEquals(new Set(made.map((id) => id.slice(-11))).size, 400);
  } finally {
    if (own) Object.defineProperty(proto, "toBase64", own);
    else delete proto.toBase64;
  }
});
