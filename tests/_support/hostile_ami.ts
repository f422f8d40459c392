/**
 * A hostile AMI peer on 127.0.0.1 (port 0): it sends the banner, accepts any
 * Login, then runs the attack given for that connection (the first attack on
 * the first connection, and so on) and answers nothing else but a Logoff. It reads the
 * client with the project's parser and notices when the client hangs up, so
 * an attack can stop once its victim has refused it. Also the attacks of
 * issue 11 (items 5 and 6): an event with a huge number of `Variable:`
 * headers and a `Response: Follows` dripped a line at a time.
 *
 * @example
 * ```ts
 * const probe = async () => (await fetch(`${url}/healthz`)).ok;
 * const peer = await startHostileAmi([
 *   (conn) => dripFollows(conn, { drips: 6_000, every: 10, between: probe }),
 * ]);
 * // point a client at peer.port; then
 * const sent = await peer.attacks[0]; // drips sent before the client hung up
 * await peer.close();
 * ```
 */

import { AmiParser } from "../../src/ami/parser.ts";
import { type AmiConn, defaultTransport } from "../../src/ami/transport.ts";

/** One connection as an attack sees it. */
export interface HostileConn {
  /** Writes `text`; false once the client has hung up (then nothing more can be sent). */
  send(text: string): Promise<boolean>;
  /** Whether the client has hung up. */
  readonly closed: boolean;
}

/** What the peer does on a connection once its client has logged in; resolves with a count. */
export type Attack = (conn: HostileConn) => Promise<number>;

/** A running hostile peer. */
export interface HostileAmi {
  readonly port: number;
  /** Per attack, the count it resolved with (pieces sent before the client hung up). */
  readonly attacks: Promise<number>[];
  close(): Promise<void>;
}

const encoder = new TextEncoder();

/** Starts the peer; connection `i` runs `attacks[i]` after its Login (later ones: none). */
export async function startHostileAmi(attacks: Attack[]): Promise<HostileAmi> {
  const listener = await defaultTransport().listen({ hostname: "127.0.0.1", port: 0 });
  const open = new Set<AmiConn>();
  const results = attacks.map(() => Promise.withResolvers<number>());
  const accepting = (async () => {
    let index = 0;
    for await (const conn of listener) {
      open.add(conn);
      serve(conn, attacks[index], results[index]).finally(() => open.delete(conn));
      index++;
    }
  })();
  return {
    port: listener.addr.port,
    attacks: results.map((r) => r.promise),
    async close() {
      listener.close();
      for (const conn of open) conn.close();
      await accepting;
      // An attack never started (its client never came) counts as nothing sent.
      for (const result of results) result.resolve(0);
    },
  };
}

async function serve(
  conn: AmiConn,
  attack: Attack | undefined,
  result: PromiseWithResolvers<number> | undefined,
): Promise<void> {
  let closed = false;
  const hostile: HostileConn = {
    get closed() {
      return closed;
    },
    async send(text) {
      if (closed) return false;
      try {
        await conn.write(encoder.encode(text));
        return true;
      } catch {
        closed = true;
        return false;
      }
    },
  };
  await hostile.send("Asterisk Call Manager/11.0.0\r\n");
  const parser = new AmiParser();
  try {
    for (let chunk = await conn.read(); chunk !== null; chunk = await conn.read()) {
      for (const message of parser.push(chunk)) {
        const action = message.get("Action")?.toLowerCase();
        const id = message.actionId ? `ActionID: ${message.actionId}\r\n` : "";
        if (action === "logoff") {
          await hostile.send(`Response: Goodbye\r\n${id}Message: Thanks for all the fish.\r\n\r\n`);
        } else if (action === "login") {
          await hostile.send(`Response: Success\r\n${id}Message: Authentication accepted\r\n\r\n`);
          if (attack && result) attack(hostile).then(result.resolve, result.reject);
        }
      }
    }
  } catch {
    // A reset by the client ends the connection like a close.
  }
  closed = true;
  conn.close();
}

/** Options of {@linkcode manyVariables}. */
export interface ManyVariablesOptions {
  /** `Variable:` headers in the event. */
  headers: number;
  /** Headers per write. */
  perPiece: number;
  /** Runs after each write (a health probe); the attack stops when it resolves false. */
  between: () => Promise<boolean>;
}

/**
 * Item 5: one `VarSet` event with `headers` empty `Variable:` headers, LF line
 * ends (10 bytes a header, so 100,000 of them stay under the 1 MiB message
 * limit), written `perPiece` headers at a time. Resolves with the pieces
 * written before the client hung up (or the probe failed).
 */
export async function manyVariables(conn: HostileConn, options: ManyVariablesOptions) {
  const pieces = Math.ceil(options.headers / options.perPiece);
  const piece = "Variable:\n".repeat(options.perPiece);
  let sent = 0;
  for (let i = 0; i < pieces; i++) {
    const last = i === pieces - 1;
    const text = (i === 0 ? "Event: VarSet\n" : "") + piece + (last ? "\n" : "");
    if (!await conn.send(text)) break;
    sent++;
    if (!await options.between()) break;
  }
  return sent;
}

/** Options of {@linkcode dripFollows}. */
export interface DripOptions {
  /** `x LF LF` drips at most, each its own write. */
  drips: number;
  /** Runs after every `every` drips (a health probe); the attack stops when it resolves false. */
  between: () => Promise<boolean>;
  every: number;
}

/**
 * Item 6: a legacy `Response: Follows` whose body is `x LF LF` written one
 * drip at a time, never ended. Resolves with the drips written before the
 * client hung up (or the probe failed).
 */
export async function dripFollows(conn: HostileConn, options: DripOptions): Promise<number> {
  if (!await conn.send("Response: Follows\r\nPrivilege: Command\r\n")) return 0;
  let sent = 0;
  while (sent < options.drips && await conn.send("x\n\n")) {
    sent++;
    if (sent % options.every === 0 && !await options.between()) break;
  }
  return sent;
}
