import { assertEquals } from "../_support/assert.ts";
import { backoffDelay } from "../../src/ami/backoff.ts";

const bounds = { initialMs: 500, maxMs: 30_000 };

Deno.test("backoffDelay doubles per attempt up to the maximum", () => {
  const low = [1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => backoffDelay(n, bounds, () => 0));
  assertEquals(low, [250, 500, 1000, 2000, 4000, 8000, 15000, 15000, 15000]);
  const high = [1, 2, 3, 7, 100].map((n) => backoffDelay(n, bounds, () => 0.999999));
  assertEquals(high, [500, 1000, 2000, 30000, 30000]);
});

Deno.test("backoffDelay jitters within [step/2, step)", () => {
  for (let i = 0; i < 100; i++) {
    const random = i / 100;
    const delay = backoffDelay(4, bounds, () => random);
    assertEquals(delay >= 2000 && delay <= 4000, true, `delay ${delay}`);
  }
});
