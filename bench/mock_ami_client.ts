/**
 * The measured client of bench/mock_ami_load.ts, one measurement kind per
 * process, the same code against mock-ami and against the bare ceiling server:
 *
 *   deno run -A bench/mock_ami_client.ts fanout <port> <sessions> <events> <in flight>
 *   deno run -A bench/mock_ami_client.ts rtt <port> <round trips> <in flight>
 *
 * `fanout`: `sessions` connections log in with events on, then a trigger
 * connection (events off) sends `events` UserEvent actions, refilled as they
 * are answered so that at most `in flight` are unanswered. Timed from the first
 * trigger to the moment every session has received every event; each session
 * must receive exactly the events sent, in order, once each.
 *
 * `rtt`: one connection (events off) keeps `in flight` Pings unanswered until
 * `round trips` have been answered, each in order and once.
 *
 * Messages are counted by splitting on the blank line (bench/mock_ami_blocks.ts).
 * Each process measures three times (the first runs warm the JIT up) and
 * prints its best run as one JSON line.
 */

import type { AmiConn } from "../src/ami/transport.ts";
import { denoTransport } from "../src/ami/transport_deno.ts";
import { readBlocks } from "./mock_ami_blocks.ts";

/** What one run measured: `items` events delivered or round trips, in `ms`. */
export interface MockAmiLoadResult {
  items: number;
  ms: number;
}

/** Measurements per process; the process reports its best. */
export const RUNS_PER_PROCESS = 3;
/** A run fails if no message arrives for this long. */
const STALL_MS = 15_000;
/** After the last event, sessions keep reading this long so that extra events would be seen. */
const SETTLE_MS = 200;

const encoder = new TextEncoder();

function connect(port: number): Promise<AmiConn> {
  return denoTransport.connect({ hostname: "127.0.0.1", port });
}

function login(conn: AmiConn, events: "on" | "off"): Promise<void> {
  const text = `Action: Login\r\nActionID: login\r\nUsername: astrix\r\nSecret: astrix\r\n` +
    `Events: ${events}\r\n\r\n`;
  return conn.write(encoder.encode(text));
}

/** The first block of a connection: the banner line, then the login response. */
function checkLogin(block: string): void {
  if (!block.includes("\r\nResponse: Success\r\nActionID: login\r\n")) {
    throw new Error(`login failed: ${JSON.stringify(block)}`);
  }
}

/**
 * Logs in with events off, then keeps `inFlight` requests unanswered until
 * `total` are answered. `request(i)` is the wire text of request i; `check`
 * throws unless a block is the answer to request i. One write per chunk read
 * refills what it answered. Resolves with the time the first request was sent.
 */
async function pipeline(
  conn: AmiConn,
  total: number,
  inFlight: number,
  request: (i: number) => string,
  check: (block: string, i: number) => void,
): Promise<number> {
  await login(conn, "off");
  let start = 0;
  let sent = 0;
  let answered = -1; // the login response comes first
  let writing = Promise.resolve();
  await readBlocks(conn, (blocks) => {
    for (const block of blocks) {
      if (answered === -1) checkLogin(block);
      else check(block, answered);
      answered++;
    }
    let text = "";
    while (sent < Math.min(total, answered + inFlight)) text += request(sent++);
    if (start === 0 && text !== "") start = performance.now();
    if (text !== "") writing = writing.then(() => conn.write(encoder.encode(text)));
    return answered < total;
  });
  await writing;
  if (answered < total) throw new Error(`connection closed after ${answered} of ${total} answers`);
  return start;
}

/** Rejects if `progress()` stays the same for STALL_MS; the error tells `what()` got that far. */
function watchdog(progress: () => number, what: () => string) {
  let last = -1;
  let timer: ReturnType<typeof setInterval> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      const now = progress();
      if (now === last) reject(new Error(`no progress for ${STALL_MS} ms: ${what()}`));
      last = now;
    }, STALL_MS);
  });
  stalled.catch(() => {}); // raced by the caller
  return { stalled, stop: () => clearInterval(timer) };
}

/** Every session's count of UserEvents; `done` resolves at the moment the last one arrives. */
class Tally {
  readonly counts: number[];
  readonly events: number;
  readonly done = Promise.withResolvers<number>();
  #complete = 0;

  constructor(sessions: number, events: number) {
    this.counts = Array.from({ length: sessions }, () => 0);
    this.events = events;
  }

  /** Counts event `n` on session `index`, which must be its next one. */
  add(index: number, n: number): void {
    if (n !== this.counts[index] || n >= this.events) {
      throw new Error(`session ${index}: event N=${n} after ${this.counts[index]} events`);
    }
    if (++this.counts[index] === this.events && ++this.#complete === this.counts.length) {
      this.done.resolve(performance.now());
    }
  }

  get delivered(): number {
    return this.counts.reduce((sum, n) => sum + n, 0);
  }
}

/** Reads one session: its login response, then UserEvents into `tally`; other events are skipped. */
function readSession(conn: AmiConn, index: number, tally: Tally) {
  const loggedIn = Promise.withResolvers<void>();
  let first = true;
  const reading = readBlocks(conn, (blocks) => {
    for (const block of blocks) {
      if (first) {
        checkLogin(block);
        first = false;
        loggedIn.resolve();
      } else if (block.startsWith("Event: UserEvent\r\n")) {
        tally.add(index, Number(block.slice(block.lastIndexOf("\r\nN: ") + 5)));
      }
    }
    return true;
  });
  const closed = reading.then(() => {
    throw new Error(`session ${index} closed by the server`);
  });
  closed.catch(() => {}); // raced below; a session closed by us is not a failure
  return { loggedIn: Promise.race([loggedIn.promise, closed]), closed, reading };
}

async function fanout(
  port: number,
  sessions: number,
  events: number,
  inFlight: number,
): Promise<MockAmiLoadResult> {
  const conns = await Promise.all(Array.from({ length: sessions }, () => connect(port)));
  const tally = new Tally(sessions, events);
  const readers = conns.map((conn, i) => readSession(conn, i, tally));
  await Promise.all(conns.map((conn) => login(conn, "on")));
  await Promise.all(readers.map((reader) => reader.loggedIn));
  const failed = Promise.race(readers.map((reader) => reader.closed));
  const total = sessions * events;
  const { stalled, stop } = watchdog(
    () => tally.delivered,
    () => `${tally.delivered} of ${total} events delivered; per session ${tally.counts.join(",")}`,
  );
  const trigger = await connect(port);
  try {
    const start = await Promise.race([
      pipeline(
        trigger,
        events,
        inFlight,
        (i) => `Action: UserEvent\r\nActionID: u${i}\r\nUserEvent: Tick\r\nN: ${i}\r\n\r\n`,
        (block, i) => {
          if (block !== `Response: Success\r\nActionID: u${i}\r\nMessage: Event Sent`) {
            throw new Error(`trigger: unexpected answer ${JSON.stringify(block)}`);
          }
        },
      ),
      failed,
      stalled,
    ]);
    const end = await Promise.race([tally.done.promise, failed, stalled]);
    await Promise.race([new Promise((resolve) => setTimeout(resolve, SETTLE_MS)), failed]);
    if (tally.delivered !== total) throw new Error(`${tally.delivered} of ${total} delivered`);
    return { items: total, ms: end - start };
  } finally {
    stop();
    trigger.close();
    conns.forEach((conn) => conn.close());
    await Promise.allSettled(readers.map((reader) => reader.reading));
  }
}

async function rtt(port: number, total: number, inFlight: number): Promise<MockAmiLoadResult> {
  const conn = await connect(port);
  let answered = 0;
  const { stalled, stop } = watchdog(() => answered, () => `${answered} of ${total} answered`);
  try {
    const start = await Promise.race([
      pipeline(
        conn,
        total,
        inFlight,
        (i) => `Action: Ping\r\nActionID: p${i}\r\n\r\n`,
        (block, i) => {
          if (!block.startsWith(`Response: Success\r\nActionID: p${i}\r\nPing: Pong\r\n`)) {
            throw new Error(`ping ${i}: unexpected answer ${JSON.stringify(block)}`);
          }
          answered = i + 1;
        },
      ),
      stalled,
    ]);
    return { items: total, ms: performance.now() - start };
  } finally {
    stop();
    conn.close();
  }
}

if (import.meta.main) {
  const [mode, ...numbers] = Deno.args;
  const [port, a, b, c] = numbers.map(Number);
  let best: MockAmiLoadResult | undefined;
  for (let i = 0; i < RUNS_PER_PROCESS; i++) {
    const result = mode === "fanout" ? await fanout(port, a, b, c) : await rtt(port, a, b);
    if (!best || result.items / result.ms > best.items / best.ms) best = result;
  }
  console.log(JSON.stringify(best));
}
