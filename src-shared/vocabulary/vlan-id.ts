// An 802.1Q VLAN id, as a bridge port's tag or a VLAN sub-interface's: 0 means "no VLAN"
// (priority tagging) and 4095 is reserved, so an id is 1 to 4094.
import { describeValue, fail, ok, type Parsed } from './parsed.js';

export const VLAN_ID_MIN = 1;
export const VLAN_ID_MAX = 4094;

/** A whole number 1-4094 (text or a number, as a NovaFile may write it). */
export function parseVlanId(input: unknown): Parsed<number> {
  const value = typeof input === 'string' && /^\d{1,5}$/.test(input.trim()) ? Number(input.trim()) : input;
  if (typeof value === 'number' && Number.isInteger(value) && value >= VLAN_ID_MIN && value <= VLAN_ID_MAX) return ok(value);
  return fail(`${describeValue(input)} is not a VLAN id; use a whole number from ${VLAN_ID_MIN} to ${VLAN_ID_MAX} (0 and 4095 are reserved)`);
}
