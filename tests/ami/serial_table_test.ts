import { assertEquals } from "../_support/assert.ts";
import { SerialTable } from "../../src/ami/serial_table.ts";

interface Item {
  serial: number;
}

Deno.test("SerialTable holds 100 in flight over 100,000 serials without a straggler", () => {
  const table = new SerialTable<Item>();
  for (let serial = 1; serial <= 100_000; serial++) {
    table.set({ serial });
    if (serial > 100) assertEquals(table.delete(serial - 100), true);
  }
  assertEquals(table.size, 100);
  assertEquals(table.stragglers, 0, "every entry found by its slot");
  assertEquals(table.get(99_901)?.serial, 99_901);
  assertEquals(table.get(99_900), undefined, "a retired serial is gone");
});

Deno.test("SerialTable keeps a long-lived entry when its slot comes round, and grows when half full", () => {
  const table = new SerialTable<Item>();
  const long = { serial: 1 };
  table.set(long);
  for (let serial = 2; serial <= 10_000; serial++) {
    table.set({ serial });
    table.delete(serial);
  }
  assertEquals(table.get(1), long);
  assertEquals(table.stragglers, 1, "moved once, not once per lap");
  for (let serial = 10_001; serial <= 11_000; serial++) table.set({ serial }); // grows past 256 slots
  assertEquals(table.size, 1_001);
  for (let serial = 10_001; serial <= 11_000; serial++) {
    assertEquals(table.get(serial)?.serial, serial);
  }
  assertEquals(table.stragglers, 1);
  assertEquals(table.values().map((item) => item.serial).sort((a, b) => a - b).slice(0, 2), [
    1,
    10_001,
  ]);
  assertEquals(table.delete(1), true);
  assertEquals(table.delete(1), false);
  assertEquals(table.size, 1_000);
});
