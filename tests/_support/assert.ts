/**
 * Test assertions on `node:assert` (JSR's @std/assert is not reachable here),
 * with the shape of Deno std's: equality, and errors checked by class and by
 * a part of their message.
 */

import nodeAssert from "node:assert/strict";

// deno-lint-ignore no-explicit-any
type ErrorClass<E extends Error = Error> = new (...args: any[]) => E;

export function assert(condition: unknown, message?: string): asserts condition {
  nodeAssert.ok(condition, message);
}

export function assertEquals<T>(actual: unknown, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  nodeAssert.match(actual, pattern, message);
}

function checkError(error: unknown, errorClass: ErrorClass, includes?: string): Error {
  if (!(error instanceof errorClass)) {
    throw new nodeAssert.AssertionError({
      message: `Expected ${errorClass.name}, got ${
        error instanceof Error ? error.name : typeof error
      }: ${error instanceof Error ? error.message : String(error)}`,
    });
  }
  if (includes !== undefined && !error.message.includes(includes)) {
    throw new nodeAssert.AssertionError({
      message:
        `Expected the ${errorClass.name} message to include "${includes}", got "${error.message}"`,
    });
  }
  return error;
}

/** Asserts that `fn` throws an `errorClass` whose message includes `includes`; returns the error. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  errorClass: ErrorClass<E>,
  includes?: string,
): E {
  try {
    fn();
  } catch (error) {
    return checkError(error, errorClass, includes) as E;
  }
  throw new nodeAssert.AssertionError({ message: `Expected ${errorClass.name} to be thrown` });
}

/** Asserts that `promise` rejects with an `errorClass` whose message includes `includes`. */
export async function assertRejects<E extends Error>(
  promise: Promise<unknown> | (() => Promise<unknown>),
  errorClass: ErrorClass<E>,
  includes?: string,
): Promise<E> {
  try {
    await (typeof promise === "function" ? promise() : promise);
  } catch (error) {
    return checkError(error, errorClass, includes) as E;
  }
  throw new nodeAssert.AssertionError({ message: `Expected ${errorClass.name} to be rejected` });
}
