/**
 * A stand-in for the audit worker (`src/audit/audit_worker.ts`) that speaks
 * its protocol but writes nothing: a row whose action is `crash` makes it
 * throw (an uncaught error, as a bug or a native failure would), one whose
 * action is `hang` is never answered (as with a stalled disk), any other is
 * answered as committed.
 */

import { statSync } from "node:fs";
import type { FromWorker, ToWorker } from "../../src/audit/worker_protocol.ts";

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
  postMessage(message: FromWorker): void;
};

scope.onmessage = ({ data: message }) => {
  if (message.type === "open") {
    const { dev, ino } = statSync(message.path);
    scope.postMessage({ type: "opened", file: { dev, ino } });
  } else if (message.type === "append") {
    const actions = message.entries.map((entry) => entry.action);
    if (actions.includes("crash")) throw new Error("the stand-in worker crashed on purpose");
    if (!actions.includes("hang")) scope.postMessage({ type: "appended", batch: message.batch });
  } else {
    scope.postMessage({ type: "closed" });
  }
};
