/**
 * The subscriber process of bench/sse_load.ts, the same code against the
 * proxy and against the bare ceiling server: it opens `subscribers` SSE
 * streams to one URL with `fetch` and checks that every stream receives every
 * event exactly once and in order.
 *
 *   deno run -A bench/sse_client.ts <url> <subscribers> <events per run> <runs> [token]
 *
 * An event is recognised by `"Seq":"<n>"` in its data; n counts from 0 across
 * runs, so run r is events r × N to (r + 1) × N - 1, and a stream must see
 * each n once, in order. The process reports on stdout, one JSON line each
 * ({@linkcode SseClientMessage}): `ready` once every stream has its first
 * bytes (the `retry:` line), one `run` per run once every stream has that
 * run whole, `done` after the last run and a settle period that shows extra
 * events, or `error` with the events lost (then it exits 1). A run with no
 * new event for STALL_MS after its first one has lost events. Times are
 * `performance.timeOrigin + performance.now()`, comparable across processes.
 *
 * {@linkcode SseClients} runs such processes for the benchmark;
 * {@linkcode openSseStream} opens one stream (bench/console_load.ts reads the
 * proxy's stream with it too).
 */

/** One line a client process prints. */
export type SseClientMessage =
  | { ready: number }
  | { run: number; firstAt: number; lastAt: number }
  | { done: true }
  | { error: string; lost: number };

/** A run fails if no event arrives for this long after its first one. */
const STALL_MS = 5_000;
/** After the last run, streams keep reading this long so that extra events would be seen. */
const SETTLE_MS = 300;
const MARK = '"Seq":"';

/** Milliseconds since the epoch on a clock that other processes share. */
export const now = (): number => performance.timeOrigin + performance.now();

/** Opens an SSE stream with `fetch` (a bearer `token` if given); its reader once it answers 200. */
export async function openSseStream(
  url: string,
  token: string | undefined,
  signal: AbortSignal,
): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const response = await fetch(url, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
    signal,
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`${url}: HTTP ${response.status}`);
  }
  return response.body!.getReader();
}

/** Subscriber processes, driven run by run. */
export class SseClients {
  readonly #processes: ClientProcess[];

  private constructor(processes: ClientProcess[]) {
    this.#processes = processes;
  }

  /** Starts `processes` client processes sharing `subscribers` streams to `url`; resolves when all are ready. */
  static async start(
    url: string,
    options: {
      subscribers: number;
      processes: number;
      events: number;
      runs: number;
      token?: string;
    },
  ): Promise<SseClients> {
    const { subscribers, processes, events, runs, token } = options;
    const clients = Array.from({ length: processes }, (_, i) => {
      const share = Math.floor(subscribers / processes) + (i < subscribers % processes ? 1 : 0);
      const args = [url, share, events, runs, ...(token ? [token] : [])].map(String);
      return new ClientProcess(args);
    });
    const ready = await Promise.allSettled(clients.map((client) => client.next()));
    const failed = ready.find((result) => result.status === "rejected");
    if (failed) {
      await Promise.all(clients.map((client) => client.stop()));
      throw failed.reason;
    }
    return new SseClients(clients);
  }

  /** Waits for every process to report run `run`; the time its last stream got the run's last event. */
  async run(run: number): Promise<{ firstAt: number; lastAt: number }> {
    // The first failure rejects at once: the other processes may be waiting for events that never come.
    const reports = await Promise.all(this.#processes.map((client) => client.next()));
    if (!reports.every((m) => "run" in m && m.run === run)) {
      throw new Error(`Expected reports of run ${run}, got ${JSON.stringify(reports)}`);
    }
    const times = reports as { firstAt: number; lastAt: number }[];
    return {
      firstAt: Math.min(...times.map((t) => t.firstAt)),
      lastAt: Math.max(...times.map((t) => t.lastAt)),
    };
  }

  /** Waits for every process to confirm no extra event after the last run, then for it to exit. */
  async finish(): Promise<void> {
    try {
      for (const client of this.#processes) {
        const message = await client.next();
        if (!("done" in message)) throw new Error(`Expected done, got ${JSON.stringify(message)}`);
      }
    } finally {
      await this.stop();
    }
  }

  /** Stops the processes still running. */
  async stop(): Promise<void> {
    await Promise.all(this.#processes.map((client) => client.stop()));
  }
}

/** Subscribers missed events: a failure of the system measured, not a figure. */
export class SseLossError extends Error {
  override name = "SseLossError";
  readonly lost: number;
  constructor(message: string, lost: number) {
    super(message);
    this.lost = lost;
  }
}

class ClientProcess {
  readonly #child: Deno.ChildProcess;
  readonly #lines: ReadableStreamDefaultReader<string>;
  #buffered: string[] = [];
  #tail = "";

  constructor(args: string[]) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(import.meta.url).pathname, ...args],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#lines = this.#child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  }

  /** The next message; rejects on an `error` message or if the process ends first. */
  async next(): Promise<SseClientMessage> {
    while (this.#buffered.length === 0) {
      const { value, done } = await this.#lines.read();
      if (done) throw new Error(`sse_client.ts (pid ${this.#child.pid}) ended without reporting`);
      const lines = (this.#tail + value).split("\n");
      this.#tail = lines.pop()!;
      this.#buffered.push(...lines.filter((line) => line.trim() !== ""));
    }
    const message = JSON.parse(this.#buffered.shift()!) as SseClientMessage;
    if ("error" in message) throw new SseLossError(message.error, message.lost);
    return message;
  }

  async stop(): Promise<void> {
    try {
      this.#child.kill("SIGTERM");
    } catch {
      // already exited
    }
    await this.#lines.cancel().catch(() => {});
    await this.#child.status;
  }
}

/** One SSE stream's parser: counts the events in its chunks and checks their order. */
export class SeqCounter {
  readonly #decoder = new TextDecoder();
  #tail = "";
  /** The Seq expected next. */
  next = 0;

  /** Parses `chunk`; returns how many events it completed, or throws on a gap or a repeat. */
  push(chunk: Uint8Array): number {
    const text = this.#tail + this.#decoder.decode(chunk, { stream: true });
    let pos = 0;
    let count = 0;
    // Where the next chunk must resume: a cut mark, or a cut value after a whole mark.
    let keep = -1;
    for (let at = text.indexOf(MARK); at >= 0; at = text.indexOf(MARK, pos)) {
      const start = at + MARK.length;
      const end = text.indexOf('"', start);
      if (end < 0) {
        keep = at;
        break;
      }
      const seq = Number(text.slice(start, end));
      if (seq !== this.next) throw new Error(`event Seq ${seq} where ${this.next} was due`);
      this.next++;
      count++;
      pos = end + 1;
    }
    this.#tail = text.slice(keep >= 0 ? keep : Math.max(pos, text.length - MARK.length + 1));
    return count;
  }
}

async function main(url: string, subscribers: number, events: number, runs: number, token = "") {
  const report = (message: SseClientMessage) => console.log(JSON.stringify(message));
  const abort = new AbortController();
  const streams = Array.from({ length: subscribers }, () => new SeqCounter());
  let delivered = 0;
  let run = 0;
  let complete = 0; // streams that have run `run` whole
  let firstAt = 0;
  const finished = Promise.withResolvers<void>();
  let failure: SseLossError | undefined;
  const fail = (error: string) => {
    const due = streams.length * Math.min(runs, run + 1) * events;
    failure ??= new SseLossError(error, Math.max(0, due - delivered));
    finished.reject(failure);
  };
  const ready = Promise.all(streams.map(async (stream, index) => {
    const reader = await openSseStream(url, token, abort.signal);
    const first = await reader.read();
    return async () => {
      try {
        for (let chunk = first; !chunk.done; chunk = await reader.read()) {
          const count = stream.push(chunk.value);
          if (count === 0) continue;
          delivered += count;
          if (firstAt === 0) firstAt = now();
          if (stream.next > runs * events) throw new Error(`event Seq ${stream.next - 1} is extra`);
          if (stream.next === (run + 1) * events && ++complete === streams.length) {
            report({ run, firstAt, lastAt: now() });
            run++;
            complete = streams.filter((s) => s.next === (run + 1) * events).length;
            firstAt = 0;
            if (run === runs) finished.resolve();
          }
        }
        if (!abort.signal.aborted) fail(`stream ${index} ended after event ${stream.next - 1}`);
      } catch (error) {
        if (!abort.signal.aborted) fail(`stream ${index}: ${(error as Error).message}`);
      }
    };
  }));
  const readers = await ready;
  report({ ready: streams.length });
  const reading = readers.map((read) => read());
  let seen = -1;
  const watchdog = setInterval(() => {
    if (firstAt !== 0 && delivered === seen) fail(`no event for ${STALL_MS} ms in run ${run}`);
    seen = delivered;
  }, STALL_MS);
  try {
    await finished.promise;
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    if (failure) throw failure;
    const extra = streams.findIndex((s) => s.next !== runs * events);
    if (extra >= 0) throw new Error(`stream ${extra} got ${streams[extra].next} events`);
    report({ done: true });
  } catch (error) {
    const lost = error instanceof SseLossError ? error.lost : 0;
    report({ error: (error as Error).message, lost });
    Deno.exitCode = 1;
  } finally {
    clearInterval(watchdog);
    abort.abort();
    await Promise.allSettled(reading);
  }
}

if (import.meta.main) {
  const [url, subscribers, events, runs, token] = Deno.args;
  await main(url, Number(subscribers), Number(events), Number(runs), token);
}
