/**
 * The Asterisk version behind a banner, read from the banners real Asterisk
 * builds sent (tests/fixtures/ami-versions: 11, 13, 16, 18; tests/fixtures/ami:
 * 22), and AmiClient exposing it after a login over real TCP against each
 * version's captured bytes.
 */

import { assert, assertEquals, assertMatch } from "../_support/assert.ts";
import { AmiClient } from "../../src/ami/client.ts";
import { ASTERISK_MAJORS, describePbx, identifyPbx } from "../../src/ami/versions.ts";

const CAPTURED = [
  { major: 11, file: "../fixtures/ami-versions/11.25.3/01-banner-login-success/received.bin" },
  { major: 13, file: "../fixtures/ami-versions/13.38.3/01-banner-login-success/received.bin" },
  { major: 16, file: "../fixtures/ami-versions/16.30.1/01-banner-login-success/received.bin" },
  { major: 18, file: "../fixtures/ami-versions/18.26.4/01-banner-login-success/received.bin" },
  { major: 22, file: "../fixtures/ami/01-banner-login-success/received.bin" },
] as const;

const received = (file: string) =>
  new TextDecoder("latin1").decode(Deno.readFileSync(new URL(file, import.meta.url)));

Deno.test("identifyPbx reads the Asterisk version from each captured banner", () => {
  for (const { major, file } of CAPTURED) {
    const banner = received(file).split("\r\n")[0];
    const pbx = identifyPbx(banner);
    assertEquals([pbx?.asterisk, pbx?.exact, pbx?.banner], [major, true, banner], banner);
    assertEquals(describePbx(pbx!), `Asterisk ${major} (AMI ${pbx!.amiVersion})`);
  }
  assertEquals(identifyPbx("Asterisk Call Manager/9.0.0")?.asterisk, 20);
});

Deno.test("identifyPbx takes an unknown AMI version for the nearest known, older on a tie, and says so", () => {
  const cases: [string, number][] = [
    ["Asterisk Call Manager/3.1.0", 13], // Asterisk 14
    ["Asterisk Call Manager/6.0.0", 16], // Asterisk 17: 16 and 18 are as near
    ["Asterisk Call Manager/8.0.0", 18], // Asterisk 19
    ["Asterisk Call Manager/12.0.0", 22], // a newer one
    ["Asterisk Call Manager/1.1", 11], // Asterisk 1.8
  ];
  for (const [banner, major] of cases) {
    const pbx = identifyPbx(banner)!;
    assertEquals([pbx.asterisk, pbx.exact], [major, false], banner);
    assertMatch(describePbx(pbx), /not one astrix knows: treated as Asterisk \d+, the nearest of/);
  }
  assertEquals(identifyPbx("SSH-2.0-OpenSSH_9.2"), undefined);
  assertEquals(ASTERISK_MAJORS.length, 6);
});

/** Serves one captured session: the banner, the login's answer and events, then Goodbye. */
function serveCapture(bytes: string) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const goodbye = bytes.indexOf("Response: Goodbye");
  const bannerEnd = bytes.indexOf("\r\n") + 2;
  const parts = [bytes.slice(0, bannerEnd), bytes.slice(bannerEnd, goodbye), bytes.slice(goodbye)];
  const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
  const served = (async () => {
    const conn = await listener.accept();
    try {
      await conn.write(latin1(parts[0]));
      const buffer = new Uint8Array(4096);
      for (const answer of parts.slice(1)) {
        let request = "";
        while (!request.includes("\r\n\r\n")) {
          const n = await conn.read(buffer);
          if (n === null) return;
          request += new TextDecoder().decode(buffer.subarray(0, n));
        }
        await conn.write(latin1(answer));
      }
    } finally {
      conn.close();
    }
  })();
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await served;
    },
  };
}

for (const { major, file } of CAPTURED) {
  Deno.test(`AmiClient logged in to Asterisk ${major}'s captured bytes says it talks to Asterisk ${major}`, async () => {
    const server = serveCapture(received(file));
    const ids = ["login-1", "logoff-1"];
    const ami = new AmiClient({
      host: "127.0.0.1",
      port: server.port,
      username: "ops",
      secret: "opspass",
      keepaliveMs: 0,
      reconnect: false,
      actionId: () => ids.shift()!,
    });
    try {
      assertEquals(ami.pbx, undefined, "not before the banner");
      await ami.connect();
      assert(ami.pbx?.exact);
      assertEquals(ami.pbx.asterisk, major);
      assertEquals(ami.pbx.banner, ami.banner);
    } finally {
      await ami.close();
      await server.close();
    }
  });
}
