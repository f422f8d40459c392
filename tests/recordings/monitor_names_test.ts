import { assertEquals } from "../_support/assert.ts";
import { type MonitorName, parseMonitorName } from "../../src/recordings/monitor_names.ts";

const at = (y: number, mo: number, d: number, h: number, mi: number, s: number) =>
  new Date(y, mo - 1, d, h, mi, s).getTime();

Deno.test("parseMonitorName reads the file names Asterisk setups give recordings", () => {
  const cases: [string, MonitorName | undefined][] = [
    ["20261124-101500-201-202-1763979300.17", {
      src: "201",
      dst: "202",
      direction: "internal",
      startedAt: at(2026, 11, 24, 10, 15, 0),
      uniqueId: "1763979300.17",
    }],
    ["20261124-101500-05551234567-205-1763979300.18", {
      src: "05551234567",
      dst: "205",
      direction: "inbound",
      startedAt: at(2026, 11, 24, 10, 15, 0),
      uniqueId: "1763979300.18",
    }],
    ["out-5550142-201-20261124-101500-1763979300.17", {
      src: "201",
      dst: "5550142",
      direction: "outbound",
      startedAt: at(2026, 11, 24, 10, 15, 0),
      uniqueId: "1763979300.17",
    }],
    ["in-205-05551234567-20261124-235959-1763979300.19", {
      src: "05551234567",
      dst: "205",
      direction: "inbound",
      startedAt: at(2026, 11, 24, 23, 59, 59),
      uniqueId: "1763979300.19",
    }],
    ["exten-202-201-20260101-000000-1767225600.1", {
      src: "201",
      dst: "202",
      direction: "internal",
      startedAt: at(2026, 1, 1, 0, 0, 0),
      uniqueId: "1767225600.1",
    }],
    // Issabel's "force": direction from the numbers.
    ["force-08215558663-3201-20250327-092517-1743042317.12206", {
      src: "3201",
      dst: "08215558663",
      direction: "outbound",
      startedAt: at(2025, 3, 27, 9, 25, 17),
      uniqueId: "1743042317.12206",
    }],
    ["q-600--20261124-101500-1763979300.2", {
      src: null,
      dst: "600",
      direction: "unknown",
      startedAt: at(2026, 11, 24, 10, 15, 0),
      uniqueId: "1763979300.2",
    }],
    ["OUT201-20261124-101500-1763979300.17", {
      src: "201",
      dst: null,
      direction: "outbound",
      startedAt: at(2026, 11, 24, 10, 15, 0),
      uniqueId: "1763979300.17",
    }],
    ["g300-20261124-101500-1763979300.17", {
      src: null,
      dst: "300",
      direction: "inbound",
      startedAt: at(2026, 11, 24, 10, 15, 0),
      uniqueId: "1763979300.17",
    }],
    ["20261124-101500-1763979300.17", {
      src: null,
      dst: null,
      direction: "unknown",
      startedAt: at(2026, 11, 24, 10, 15, 0),
      uniqueId: "1763979300.17",
    }],
    ["20261399-101500-201-202-1763979300.17", undefined], // month 13
    ["20261124-256000-201-202-1763979300.17", undefined], // hour 25
    ["meeting notes", undefined],
    ["demo-congrats", undefined],
  ];
  for (const [name, expected] of cases) assertEquals(parseMonitorName(name), expected, name);
});
