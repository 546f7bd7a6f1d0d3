// A VM's memory from what a person types ("512Mi", "2Gi") to whole MiB, with errors
// that say what was wrong rather than a truncated or wrapped number.
import { MEBIBYTE, parseSize } from '../../../src-shared/vm.js';
import { NovaError } from '../../../src-shared/errors.js';

export const MIN_MEMORY_MIB = 16;
export const MAX_MEMORY_MIB = 16 * 1024 * 1024;

export function memoryMiB(input: string | number): number {
  let bytes: number;
  try {
    bytes = parseSize(input);
  } catch (err) {
    throw new NovaError('invalid_argument', `memory: ${(err as Error).message}`);
  }
  const mib = Math.ceil(bytes / MEBIBYTE);
  if (mib < MIN_MEMORY_MIB) throw new NovaError('invalid_argument', `memory ${input} is below the ${MIN_MEMORY_MIB} MiB minimum`);
  if (mib > MAX_MEMORY_MIB) throw new NovaError('invalid_argument', `memory ${input} is above the 16 TiB maximum`);
  return mib;
}

export function diskBytes(input: string | number): number {
  try {
    return parseSize(input);
  } catch (err) {
    throw new NovaError('invalid_argument', `disk size: ${(err as Error).message}`);
  }
}
