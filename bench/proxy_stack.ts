/**
 * The system under test of the proxy benchmarks: `astrix mock-ami` and
 * `astrix proxy --ami` in front of it, as ops run them, each in a process of
 * its own (the proxy's request log silenced), an AMI client of mock-ami
 * that only sends (to make mock-ami broadcast events through the proxy), and
 * one that listens (to see mock-ami's events as the proxy gets them).
 */

import { AmiClient } from "../src/ami/client.ts";
import { type ServerProcess, startServer, waitReady } from "./processes.ts";

const main = new URL("../main.ts", import.meta.url).pathname;

/** Starts mock-ami and a proxy in front of it, added to `servers` (the caller stops them); resolves once the proxy is ready. */
export async function startProxyStack(
  servers: ServerProcess[],
  options: { jwtSecret: string; auditDb: string; proxyArgs?: string[]; mockAmiArgs?: string[] },
): Promise<{ mockAmi: ServerProcess; proxy: ServerProcess }> {
  const mockAmi = await startServer(
    "mock-ami",
    [main, "mock-ami", "--port", "0", ...options.mockAmiArgs ?? []],
    /listening on \S+:(\d+)/,
  );
  servers.push(mockAmi);
  // deno-fmt-ignore
  const proxy = await startServer("proxy", [
    main, "proxy", "--ami", `127.0.0.1:${mockAmi.port}`, "--ami-user", "astrix",
    "--ami-secret", "astrix", "--jwt-secret", options.jwtSecret, "--audit-db", options.auditDb,
    "--port", "0", ...options.proxyArgs ?? [],
  ], /listening on http:\/\/\S+:(\d+)/, { stderr: "null" });
  servers.push(proxy);
  await waitReady(proxy.port);
  return { mockAmi, proxy };
}

/** A client of mock-ami on `port` that sends actions only: events off, no keepalive, no reconnect. */
export function mockAmiSender(port: number, actionId?: () => string): AmiClient {
  return mockAmiClient(port, { events: "off", actionId });
}

/** A client of mock-ami on `port` that receives its events (no keepalive, no reconnect). */
export function mockAmiListener(port: number): AmiClient {
  return mockAmiClient(port, { events: "on" });
}

function mockAmiClient(
  port: number,
  options: { events: "on" | "off"; actionId?: () => string },
): AmiClient {
  return new AmiClient({
    host: "127.0.0.1",
    port,
    username: "astrix",
    secret: "astrix",
    keepaliveMs: 0,
    reconnect: false,
    ...options,
  });
}
