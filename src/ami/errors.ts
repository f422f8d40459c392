/**
 * Typed errors of the AMI module. Callers catch the subclass they can act on;
 * every error is an {@linkcode AmiError}.
 *
 * @module
 */

/** Base class of every error raised by the AMI module. */
export class AmiError extends Error {
  override name = "AmiError";
}

/** The TCP (or TLS) connection to the AMI port could not be made, or timed out. */
export class AmiConnectionError extends AmiError {
  override name = "AmiConnectionError";
}

/** The server refused the login; `serverMessage` is its `Message:` header. */
export class AmiAuthError extends AmiError {
  override name = "AmiAuthError";
  readonly serverMessage: string;
  constructor(serverMessage: string, username: string) {
    super(
      `AMI login for user "${username}" was refused: ${serverMessage}. ` +
        `Check the username and secret in manager.conf and its permit/deny lines`,
    );
    this.serverMessage = serverMessage;
  }
}

/** An action got no (complete) answer within its timeout. */
export class AmiTimeoutError extends AmiError {
  override name = "AmiTimeoutError";
  readonly action: string;
  readonly timeoutMs: number;
  constructor(action: string, timeoutMs: number, detail = "no response") {
    super(`AMI action "${action}" timed out after ${timeoutMs} ms (${detail})`);
    this.action = action;
    this.timeoutMs = timeoutMs;
  }
}

/** The peer sent bytes that are not AMI, or broke a protocol rule. */
export class AmiProtocolError extends AmiError {
  override name = "AmiProtocolError";
}

/** A message grew past the parser's size limit; the connection must be closed. */
export class AmiMessageTooLargeError extends AmiProtocolError {
  override name = "AmiMessageTooLargeError";
  readonly limit: number;
  constructor(limit: number) {
    super(`Cannot parse AMI message: it is larger than the ${limit}-byte limit`);
    this.limit = limit;
  }
}

/**
 * A message has more header lines than the parser's limit (`maxMessageHeaders`);
 * the connection must be closed.
 */
export class AmiTooManyHeadersError extends AmiProtocolError {
  override name = "AmiTooManyHeadersError";
  readonly limit: number;
  constructor(limit: number) {
    super(
      `Cannot parse AMI message: it has more than ${limit} header lines (the maxMessageHeaders ` +
        `limit). Asterisk sends far fewer: check what answers on the AMI port, or raise ` +
        `maxMessageHeaders if such messages are expected`,
    );
    this.limit = limit;
  }
}

/** A key or value would have injected a header (CR, LF, NUL) or an application argument. */
export class AmiInjectionError extends AmiError {
  override name = "AmiInjectionError";
  readonly key: string;
  constructor(key: string, reason: string) {
    super(`Refusing to send AMI header "${printable(key)}": ${printable(reason)}`);
    this.key = key;
  }
}

/** The connection was lost (or closed) while the action was pending or before it was sent. */
export class AmiDisconnectedError extends AmiError {
  override name = "AmiDisconnectedError";
}

/**
 * The connection was lost after the action was handed to it and before its
 * response came: the PBX may or may not have carried it out. (An action
 * refused because the client was not connected is a plain
 * {@linkcode AmiDisconnectedError}: it was never sent.)
 */
export class AmiOutcomeUnknownError extends AmiDisconnectedError {
  override name = "AmiOutcomeUnknownError";
  /** The action's name, e.g. `Originate`. */
  readonly action: string;
  constructor(action: string, cause: Error) {
    super(
      `AMI action "${action}" was sent but the connection was lost before the PBX answered ` +
        `(${cause.message}): it may have been carried out`,
      { cause },
    );
    this.action = action;
  }
}

/** Shows control characters of `text` as escapes, so an error message stays one line. */
function printable(text: string): string {
  return text.replace(CONTROL_CHARS, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

// deno-lint-ignore no-control-regex
const CONTROL_CHARS = /[\x00-\x1f\x7f]/g;
