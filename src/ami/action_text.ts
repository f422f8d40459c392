/**
 * An action as the client writes it: its wire text with an ActionID (the
 * caller's, or a new one inserted after the first header), the ActionID and
 * the action's name, all in one pass over the headers. Every header goes
 * through the serializer's check first ({@linkcode assertSafeHeader}): if any
 * is unsafe, {@linkcode AmiInjectionError} is thrown and no text exists.
 *
 * @example
 * ```ts
 * import { serializeAction } from "./action_text.ts";
 *
 * serializeAction({ Action: "Ping" }, () => "a-1");
 * // { text: "Action: Ping\r\nActionID: a-1\r\n\r\n", actionId: "a-1", name: "Ping", inserted: true }
 * ```
 *
 * @module
 */

import { type AmiFieldsInit, assertSafeHeader, forEachHeader } from "./message.ts";

/** An action ready for the socket. */
export interface SerializedAction {
  /** `Key: Value\r\n` lines and the blank line. */
  text: string;
  /** The first `ActionID` header's value (any case of the key), or the one inserted. */
  actionId: string;
  /** The first non-empty `Action` header's value (any case of the key), or `""`. */
  name: string;
  /** Whether the ActionID is a new one, inserted here. */
  inserted: boolean;
}

/** What one pass over the headers gathers. */
class Gathered {
  /** The first header's line. */
  first = "";
  /** The other headers' lines. */
  rest = "";
  count = 0;
  actionId: string | undefined = undefined;
  name = "";

  /** Takes the next header (an arrow: it is passed around as the visitor of the headers). */
  add = (key: string, value: string): void => {
    assertSafeHeader(key, value);
    const line = key + ": " + value + "\r\n";
    if (this.count++ === 0) this.first = line;
    else this.rest += line;
    // Only keys of these lengths can be `Action` or `ActionID`: no lower-casing for the others.
    if (key.length === 8) {
      if (this.actionId === undefined && key.toLowerCase() === "actionid") this.actionId = value;
    } else if (key.length === 6) {
      if (this.name === "" && key.toLowerCase() === "action") this.name = value;
    }
  };
}

/**
 * Serializes `action`, keeping its ActionID if it has one, else inserting
 * `ActionID: <newId()>` after the first header (where Asterisk's own
 * clients put it). A new ActionID is checked like any header.
 */
export function serializeAction(action: AmiFieldsInit, newId: () => string): SerializedAction {
  const gathered = new Gathered();
  forEachHeader(action, gathered.add);
  const { first, rest, name } = gathered;
  if (gathered.actionId !== undefined) {
    return { text: first + rest + "\r\n", actionId: gathered.actionId, name, inserted: false };
  }
  const actionId = newId();
  assertSafeHeader("ActionID", actionId);
  const text = first + "ActionID: " + actionId + "\r\n" + rest + "\r\n";
  return { text, actionId, name, inserted: true };
}
