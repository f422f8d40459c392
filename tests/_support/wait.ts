/**
 * Waiting on conditions and state changes in tests, with a generous ceiling so
 * that a broken behaviour fails the test instead of hanging it. Nothing here
 * sleeps for a fixed time and hopes.
 */

import type { AmiClient, AmiClientState, AmiStateChange } from "../../src/ami/client.ts";

/** Resolves once `predicate()` holds; rejects after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Polls the async `check` until it returns a value (not undefined); fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Resolves with the next state change of `client` into `state`. */
export function nextState(
  client: AmiClient,
  state: AmiClientState,
  timeoutMs = 5_000,
): Promise<AmiStateChange> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for state "${state}"`));
    }, timeoutMs);
    const off = client.onState((change) => {
      if (change.state !== state) return;
      clearTimeout(timer);
      off();
      resolve(change);
    });
  });
}

/** A loopback port nothing listens on (until a test starts something there). */
export function unusedPort(): number {
  const probe = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (probe.addr as Deno.NetAddr).port;
  probe.close();
  return port;
}
