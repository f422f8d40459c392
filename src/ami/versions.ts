/**
 * Whom the client talks to: the Asterisk major version behind an AMI banner.
 * Each Asterisk major ships its own AMI protocol version, and the banner
 * (`Asterisk Call Manager/<ami version>`) names it: 1.3 is Asterisk 11,
 * 2.x is 13, 5.x is 16, 7.x is 18 (the captures in `tests/fixtures/ami-versions`),
 * 9.x is 20 (no capture of 20 backs this one yet: it is the AMI version the
 * 20 release line is known to announce) and 11.x is 22 (the captures in
 * `tests/fixtures/ami`). Another AMI version (an Asterisk major between or
 * beyond those) is taken for the nearest known one, older on a tie, and
 * flagged, so that callers can warn.
 *
 * @example
 * ```ts
 * import { identifyPbx } from "./versions.ts";
 *
 * identifyPbx("Asterisk Call Manager/7.0.3"); // { asterisk: 18, amiVersion: "7.0.3", exact: true, ... }
 * ```
 *
 * @module
 */

/** The Asterisk majors astrix knows, oldest first. */
export const ASTERISK_MAJORS = [11, 13, 16, 18, 20, 22] as const;

/** One of {@linkcode ASTERISK_MAJORS}. */
export type AsteriskMajor = typeof ASTERISK_MAJORS[number];

/** The AMI protocol major each known Asterisk major speaks. */
const AMI_MAJOR_OF: Readonly<Record<AsteriskMajor, number>> = {
  11: 1,
  13: 2,
  16: 5,
  18: 7,
  20: 9,
  22: 11,
};

/** What a banner says of the PBX. */
export interface PbxIdentity {
  /** The banner line as sent. */
  banner: string;
  /** The AMI protocol version it names, e.g. `7.0.3`. */
  amiVersion: string;
  /** The Asterisk major that speaks it, or the nearest known one. */
  asterisk: AsteriskMajor;
  /** False when the AMI version is not one a known Asterisk major speaks (then `asterisk` is a guess). */
  exact: boolean;
}

const BANNER = /Call Manager\/(\d+)(?:\.(\d+))?(\S*)/i;

/** The PBX behind `banner`, or undefined when the banner names no AMI version. */
export function identifyPbx(banner: string): PbxIdentity | undefined {
  const match = BANNER.exec(banner);
  if (!match) return undefined;
  const amiVersion = `${match[1]}${match[2] !== undefined ? `.${match[2]}` : ""}${match[3]}`;
  const amiMajor = Number(match[1]);
  let asterisk: AsteriskMajor = ASTERISK_MAJORS[0];
  for (const major of ASTERISK_MAJORS) {
    const distance = Math.abs(AMI_MAJOR_OF[major] - amiMajor);
    if (distance < Math.abs(AMI_MAJOR_OF[asterisk] - amiMajor)) asterisk = major;
  }
  // AMI 1.x before 1.3 (Asterisk 1.8 to 10) is older than anything known: nearest, not exact.
  const exact = AMI_MAJOR_OF[asterisk] === amiMajor &&
    (asterisk !== 11 || Number(match[2] ?? 0) >= 3);
  return { banner, amiVersion, asterisk, exact };
}

/** `Asterisk 18 (AMI 7.0.3)`; for a guess, a warning that says so. */
export function describePbx(pbx: PbxIdentity): string {
  return pbx.exact
    ? `Asterisk ${pbx.asterisk} (AMI ${pbx.amiVersion})`
    : `AMI ${pbx.amiVersion}, not one astrix knows: treated as Asterisk ${pbx.asterisk}, ` +
      `the nearest of ${ASTERISK_MAJORS.join(", ")}`;
}
