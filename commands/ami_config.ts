/**
 * The proxy's PBXs in a config file, as tables: `[proxy.ami.<name>]` with an
 * `address` (HOST:PORT, IPv6 in brackets) and, for a PBX that does not use
 * the proxy's `ami-user` / `ami-secret-file`, its own `user`, `secret` or
 * `secret-file`, and `md5`. The string forms (`ami = "floor1=HOST:PORT"`, a
 * list of them) go through the `--ami` flag's own parser instead.
 *
 * @example
 * ```ts
 * readAmiTables({ floor1: { address: "10.1.0.5:5038" } }, "proxy.ami");
 * // [{ name: "floor1", host: "10.1.0.5", port: 5038 }]
 * ```
 *
 * @module
 */

import { InvalidArgumentError } from "commander";
import { isTable, kind, type TableReader, unknownKeyMessage } from "../src/config_file/mod.ts";
import { isPbxName, PBX_NAME_RULE } from "../src/proxy/pbx_names.ts";
import { type AmiTargetFlag, parseHostPort } from "./proxy.ts";

const KEYS = ["address", "user", "secret", "secret-file", "md5"];

/** `[proxy.ami.<name>]` tables → one {@linkcode AmiTargetFlag} each, in the file's order. */
export const readAmiTables: TableReader = (tables, path): AmiTargetFlag[] => {
  const targets = Object.entries(tables).map(([name, table]) => amiTarget(name, table, path));
  if (targets.length === 0) {
    throw new InvalidArgumentError(
      `${path} names no PBX: add [${path}.<name>] address = "HOST:PORT"`,
    );
  }
  return targets;
};

function amiTarget(name: string, table: unknown, path: string): AmiTargetFlag {
  const at = `${path}.${name}`;
  if (!isPbxName(name)) throw new InvalidArgumentError(`${at}: a PBX's name is ${PBX_NAME_RULE}`);
  if (!isTable(table)) {
    throw new InvalidArgumentError(`${at} must be a table like [${at}] address = "10.1.0.5:5038"`);
  }
  const unknown = Object.keys(table).find((key) => !KEYS.includes(key));
  if (unknown !== undefined) {
    throw new InvalidArgumentError(unknownKeyMessage(unknown, KEYS, `[${at}]`));
  }
  const value = <T>(key: string, type: "string" | "boolean"): T | undefined => {
    const raw = table[key];
    if (raw !== undefined && typeof raw !== type) {
      throw new InvalidArgumentError(
        `${at}.${key} must be ${type === "string" ? "a string" : "true or false"}, not ${
          kind(raw)
        }`,
      );
    }
    return raw as T | undefined;
  };
  const address = value<string>("address", "string");
  if (address === undefined) {
    throw new InvalidArgumentError(`${at} has no address: add address = "HOST:PORT"`);
  }
  let hostPort;
  try {
    hostPort = parseHostPort(address);
  } catch (error) {
    throw new InvalidArgumentError(`${at}.address: ${(error as Error).message}`);
  }
  const target: AmiTargetFlag = {
    name,
    ...hostPort,
    user: value<string>("user", "string"),
    secret: value<string>("secret", "string"),
    secretFile: value<string>("secret-file", "string"),
    md5: value<boolean>("md5", "boolean"),
  };
  // Only what the file gives: a PBX without its own user uses the proxy's.
  return Object.fromEntries(
    Object.entries(target).filter(([, v]) => v !== undefined),
  ) as AmiTargetFlag;
}
