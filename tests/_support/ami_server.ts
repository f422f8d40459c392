/**
 * A real AmiServer on 127.0.0.1:0 with the accounts of the captures (ops with
 * all classes, limited with read=call/write=originate) and a few test actions.
 */

import { AmiClient, type AmiClientOptions } from "../../src/ami/client.ts";
import { AmiServer, type AmiServerOptions, type AmiUser } from "../../src/ami/server.ts";
import type { Transport } from "../../src/ami/transport.ts";

export const OPS: AmiUser = { username: "ops", secret: "opspass", read: ["all"], write: ["all"] };
export const LIMITED: AmiUser = {
  username: "limited",
  secret: "limitedpass",
  read: ["call"],
  write: ["originate"],
};

export interface TestServer {
  server: AmiServer;
  port: number;
  close(): Promise<void>;
}

export async function startServer(
  options: Partial<AmiServerOptions> & { transport?: Transport } = {},
  configure: (server: AmiServer) => void = () => {},
): Promise<TestServer> {
  const server = new AmiServer({ users: [OPS, LIMITED], loginFailureDelayMs: 10, ...options });
  configure(server);
  const { port } = await server.listen({ hostname: "127.0.0.1", port: 0 });
  return { server, port, close: () => server.close() };
}

/** A client of `ops` on 127.0.0.1:`port`, without keepalive or reconnect unless `options` say. */
export function opsClient(port: number, options: Partial<AmiClientOptions> = {}): AmiClient {
  return new AmiClient({
    host: "127.0.0.1",
    port,
    username: OPS.username,
    secret: OPS.secret,
    keepaliveMs: 0,
    reconnect: false,
    ...options,
  });
}
