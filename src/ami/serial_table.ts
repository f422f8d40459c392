/**
 * Entries by serial number, for serials handed out in order and mostly
 * retired in order (a client's actions in flight): a ring of slots indexed by
 * the serial's low bits, so that adding, finding and removing one costs an
 * array access, not a hash-table update. An entry still there when its slot
 * comes round again (an action with a long timeout) moves to a Map of
 * stragglers; the ring doubles when it is half full, so it stays within
 * twice the most entries ever held at once.
 *
 * @example
 * ```ts
 * import { SerialTable } from "./serial_table.ts";
 *
 * const table = new SerialTable<{ serial: number; name: string }>();
 * table.set({ serial: 1, name: "Ping" });
 * table.get(1)?.name; // "Ping"
 * table.delete(1); // true
 * ```
 *
 * @module
 */

const INITIAL_SLOTS = 256;

/** A table of entries keyed by their `serial`. */
export class SerialTable<T extends { readonly serial: number }> {
  #slots: (T | undefined)[] = emptySlots<T>(INITIAL_SLOTS);
  #mask = INITIAL_SLOTS - 1;
  #inRing = 0;
  readonly #stragglers = new Map<number, T>();

  /** Entries held. */
  get size(): number {
    return this.#inRing + this.#stragglers.size;
  }

  /** Entries that left the ring for the Map (a measure of the table's work, for tests). */
  get stragglers(): number {
    return this.#stragglers.size;
  }

  /** The entry with this serial, if held. */
  get(serial: number): T | undefined {
    const entry = this.#slots[serial & this.#mask];
    if (entry !== undefined && entry.serial === serial) return entry;
    return this.#stragglers.size === 0 ? undefined : this.#stragglers.get(serial);
  }

  /** Adds `entry`; its serial must not be held already. */
  set(entry: T): void {
    if (this.#inRing * 2 >= this.#slots.length) this.#grow();
    const slot = entry.serial & this.#mask;
    const there = this.#slots[slot];
    if (there !== undefined) {
      this.#stragglers.set(there.serial, there);
      this.#inRing--;
    }
    this.#slots[slot] = entry;
    this.#inRing++;
  }

  /** Removes the entry with this serial; false if none was held. */
  delete(serial: number): boolean {
    const slot = serial & this.#mask;
    const entry = this.#slots[slot];
    if (entry !== undefined && entry.serial === serial) {
      this.#slots[slot] = undefined;
      this.#inRing--;
      return true;
    }
    return this.#stragglers.size > 0 && this.#stragglers.delete(serial);
  }

  /** Every entry held, in no particular order. */
  values(): T[] {
    const values = [...this.#stragglers.values()];
    for (const entry of this.#slots) if (entry !== undefined) values.push(entry);
    return values;
  }

  /** Twice the slots: entries whose low bits differed still differ, so none collide. */
  #grow(): void {
    const slots = emptySlots<T>(this.#slots.length * 2);
    const mask = slots.length - 1;
    for (const entry of this.#slots) if (entry !== undefined) slots[entry.serial & mask] = entry;
    this.#slots = slots;
    this.#mask = mask;
  }
}

function emptySlots<T>(count: number): (T | undefined)[] {
  return Array.from({ length: count }, () => undefined);
}
