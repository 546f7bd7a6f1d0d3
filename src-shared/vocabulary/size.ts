// Sizes of memory, disks and memory limits, written the way users copy them from QEMU
// ("-m 2048", "-m 2G") and Docker ("--memory 2g"): a number with an optional binary unit.
// Every size is a whole number of MiB, the unit VM definitions store.
import { describeValue, fail, ok, type Parsed } from './parsed.js';
import { syntaxSchema } from './syntax-schema.js';

export const MEBIBYTE = 1024 * 1024;
const GIB = 1024;
const TIB = 1024 * GIB;
/** 1 PiB, far beyond any workstation, so a slip such as "16000Ti" is caught. */
const PIB = 1024 * TIB;

/** What a size is called in messages, and the range allowed for it, in MiB. */
export interface SizeRule {
  readonly what: string;
  readonly minMiB: number;
  readonly maxMiB: number;
}

export const ANY_SIZE: SizeRule = { what: 'size', minMiB: 1, maxMiB: PIB };
/** QEMU needs a few MiB for firmware and a kernel; 16 TiB is QEMU's own ceiling on x86. */
export const VM_MEMORY: SizeRule = { what: 'memory size', minMiB: 16, maxMiB: 16 * TIB };
export const DISK_SIZE: SizeRule = { what: 'disk size', minMiB: 1, maxMiB: PIB };
/** Docker's floor: below it the runtime or the kernel refuses, or the capsule cannot start. */
export const CAPSULE_MEMORY: SizeRule = { what: 'memory limit', minMiB: 6, maxMiB: PIB };

/**
 * K, M, G and T, with or without "i" and "B", in either case: all binary (QEMU's "2G" and
 * Docker's "2g" are GiB too, and that is where users copy these values from).
 */
const UNIT_MIB: Record<string, number> = { k: 1 / 1024, m: 1, g: GIB, t: TIB };
const HELP = 'write a number with Ki, Mi, Gi or Ti (e.g. "16Gi"), or a bare number of MiB';

function mib(amount: number): string {
  if (amount % TIB === 0) return `${amount / TIB} TiB`;
  if (amount % GIB === 0) return `${amount / GIB} GiB`;
  return `${amount} MiB`;
}

function inRange(value: number, shown: string, rule: SizeRule): Parsed<number> {
  if (value < rule.minMiB) return fail(`${rule.what} ${shown} is below the minimum; it must be at least ${mib(rule.minMiB)}`);
  if (value > rule.maxMiB) return fail(`${rule.what} ${shown} is more than ${mib(rule.maxMiB)}, the most Nova takes`);
  return ok(value);
}

/**
 * "16Gi", "512Mi", "2GiB", "2g", "1.5Gi", "2048" (a bare number is MiB, as QEMU's -m
 * reads it) or a JSON/TOML integer of MiB; returns MiB.
 */
export function parseSize(input: unknown, rule: SizeRule = ANY_SIZE): Parsed<number> {
  if (typeof input === 'number') {
    if (!Number.isInteger(input)) {
      return fail(`${input} is not a whole number of MiB; write a string with a unit such as "1.5Gi"`);
    }
    return inRange(input, `${input} MiB`, rule);
  }
  if (typeof input !== 'string') {
    return fail(`expected a ${rule.what} such as "16Gi" or a number of MiB, got ${describeValue(input)}`);
  }
  const shown = describeValue(input);
  const match = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$/.exec(input);
  if (!match) return fail(`${shown} is not a ${rule.what}; ${HELP}`);
  const [, amountText = '', unitText = ''] = match;
  let factor = 1;
  if (unitText !== '') {
    const unit = /^([kmgt])(?:i?b?)$/i.exec(unitText)?.[1]?.toLowerCase();
    const known = unit === undefined ? undefined : UNIT_MIB[unit];
    if (known === undefined) {
      return fail(`${shown} is not a ${rule.what}: unit "${unitText}" is not supported; use Ki, Mi, Gi or Ti (e.g. "16Gi")`);
    }
    factor = known;
  }
  const value = Number(amountText) * factor;
  if (value <= 0) return fail(`${shown} is zero; a ${rule.what} must be more than 0`);
  if (!Number.isInteger(value)) {
    return fail(`${shown} is not a whole number of MiB; Nova sizes memory and disks in MiB`);
  }
  return inRange(value, shown, rule);
}

/** The contract's schema for one kind of size: text or a number of MiB in, MiB out. */
export function sizeSchema(rule: SizeRule) {
  return syntaxSchema<number, string | number>((input) => parseSize(input, rule));
}

/** "512Mi", "2Gi", "1Ti": how Nova prints a size in MiB so that it reads back the same. */
export function formatSize(mebibytes: number): string {
  if (mebibytes % TIB === 0) return `${mebibytes / TIB}Ti`;
  if (mebibytes % GIB === 0) return `${mebibytes / GIB}Gi`;
  return `${mebibytes}Mi`;
}
