/**
 * What a test-client step expects of the PBX: a `Success` response, or an
 * event within the step's limit. A step that does not get it fails with a
 * {@linkcode StepFailed} saying so in the user's terms; "Permission denied"
 * is a {@linkcode PermissionDenied} naming the refused action.
 *
 * @module
 */

import { type EventSubscription, isEventGap } from "../ami/event_stream.ts";
import type { AmiMessage } from "../ami/message.ts";

/** Thrown by a step: the message says what went wrong in the user's terms. */
export class StepFailed extends Error {
  override name = "StepFailed";
}

/** The PBX answered "Permission denied": the user's write= classes do not cover `action`. */
export class PermissionDenied extends StepFailed {
  override name = "PermissionDenied";
  readonly action: string;
  constructor(action: string, what = action) {
    super(`${what} answered Error: Permission denied`);
    this.action = action;
  }
}

/** Throws unless `response` is `Success`; `what` names the action in the message. */
export function expectSuccess(response: AmiMessage, action: string, what = action): void {
  if (response.get("Response") === "Success") return;
  const message = response.get("Message") ?? "";
  if (message === "Permission denied") throw new PermissionDenied(action, what);
  throw new StepFailed(`${what} answered ${response.get("Response")}: ${message}`);
}

/**
 * The next event matching `predicate`, or a StepFailed after `timeoutMs`;
 * if events were lost meanwhile (the buffer was full), the failure says so.
 */
export async function nextEvent(
  events: EventSubscription,
  predicate: (event: AmiMessage) => boolean,
  options: { timeoutMs: number; what: string },
): Promise<AmiMessage> {
  const { timeoutMs, what } = options;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lost = 0;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const gap = lost === 0
        ? ""
        : ` (${lost} events were lost meanwhile because the client's event buffer was full: ` +
          "it may have been one of them)";
      reject(new StepFailed(`${what} within ${timeoutMs} ms${gap}`));
    }, timeoutMs);
  });
  try {
    while (true) {
      const next = await Promise.race([events.next(), timeout]);
      if (next.done) throw new StepFailed(`${what}: the connection ended`);
      if (isEventGap(next.value)) lost += next.value.lost;
      else if (predicate(next.value)) return next.value;
    }
  } finally {
    clearTimeout(timer);
  }
}
