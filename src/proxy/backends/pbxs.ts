/**
 * The PBXs behind one proxy, by name: one {@linkcode Backend} each (an
 * AMI link, the simulated PBX, or an upstream adapter), started and closed
 * together. A request names its PBX, or gets the only one; a job acts on
 * its own PBX. One PBX down leaves the others served.
 *
 * @example
 * ```ts ignore
 * import { Pbxs } from "./pbxs.ts";
 *
 * const pbxs = new Pbxs(new Map([["floor1", floor1], ["floor2", floor2]]));
 * pbxs.pick("floor2").backend; // floor2
 * pbxs.pick(undefined); // BadRequestError: name one of floor1, floor2
 * ```
 *
 * @module
 */

import { BadRequestError, ProxyConfigError } from "../errors.ts";
import type { Backend } from "./backend.ts";

/** One PBX: its name and its backend. */
export interface NamedPbx {
  name: string;
  backend: Backend;
}

/** The proxy's PBXs, in the order they were configured. */
export class Pbxs {
  readonly #byName: ReadonlyMap<string, Backend>;

  /** Throws ProxyConfigError when there is none. */
  constructor(backends: ReadonlyMap<string, Backend>) {
    if (backends.size === 0) throw new ProxyConfigError("The proxy needs at least one PBX");
    this.#byName = backends;
  }

  /** Their names, in order. */
  get names(): string[] {
    return [...this.#byName.keys()];
  }

  /** Every PBX, in order. */
  all(): NamedPbx[] {
    return [...this.#byName].map(([name, backend]) => ({ name, backend }));
  }

  /** The backend named `name`, if there is one. */
  get(name: string): Backend | undefined {
    return this.#byName.get(name);
  }

  /**
   * The PBX a request names, or the only one when it names none; 400
   * `bad_request` (field `pbx`) naming the PBXs for an unknown name, or for
   * none when there are several.
   */
  pick(name: string | undefined): NamedPbx {
    const names = this.names;
    if (name === undefined) {
      if (names.length === 1) return { name: names[0], backend: this.#byName.get(names[0])! };
      throw new BadRequestError(
        `This proxy has several PBXs: name one in pbx (${names.join(", ")})`,
        "pbx",
      );
    }
    const backend = this.#byName.get(name);
    if (!backend) {
      throw new BadRequestError(
        `No PBX is named "${name}" here: name one of ${names.join(", ")}`,
        "pbx",
      );
    }
    return { name, backend };
  }

  /** Starts connecting to every PBX; returns at once. */
  start(): void {
    for (const backend of this.#byName.values()) backend.start();
  }

  /** Logs off every PBX. */
  async close(): Promise<void> {
    await Promise.all([...this.#byName.values()].map((backend) => backend.close()));
  }
}
