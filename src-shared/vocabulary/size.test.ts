import { describe, expect, it } from 'vitest';
import { ANY_SIZE, CAPSULE_MEMORY, DISK_SIZE, formatSize, parseSize, VM_MEMORY } from './size.js';
import { message, value } from './test-helpers.js';

describe('sizes', () => {
  it.each([
    ['16Gi', 16384],
    ['16 GiB', 16384],
    ['2GiB', 2048],
    ['2G', 2048],
    ['2g', 2048],
    ['2gb', 2048],
    ['100G', 102400],
    ['512Mi', 512],
    ['512M', 512],
    ['1.5Gi', 1536],
    ['2048Ki', 2],
    ['1Ti', 1048576],
    ['2048', 2048],
    [' 64 ', 64],
    [512, 512],
  ])('reads %j as %d MiB', (input, mib) => {
    expect(value(parseSize(input))).toBe(mib);
  });

  it('explains what is wrong', () => {
    expect(message(parseSize('16Zi'))).toBe('"16Zi" is not a size: unit "Zi" is not supported; use Ki, Mi, Gi or Ti (e.g. "16Gi")');
    expect(message(parseSize('lots'))).toContain('is not a size; write a number with Ki, Mi, Gi or Ti');
    expect(message(parseSize('-1Gi'))).toContain('is not a size');
    expect(message(parseSize('0Gi'))).toContain('more than 0');
    expect(message(parseSize('100Ki'))).toContain('whole number of MiB');
    expect(message(parseSize(1.5))).toContain('"1.5Gi"');
    expect(message(parseSize(0))).toContain('at least 1 MiB');
    expect(message(parseSize(true))).toContain('got true');
    expect(message(parseSize('2000Ti'))).toContain('more than 1024 TiB');
  });

  it('names the kind of size and its range', () => {
    expect(message(parseSize('8Mi', VM_MEMORY))).toBe('memory size "8Mi" is below the minimum; it must be at least 16 MiB');
    expect(message(parseSize('lots', DISK_SIZE))).toContain('"lots" is not a disk size');
    expect(message(parseSize('2', CAPSULE_MEMORY))).toContain('at least 6 MiB');
    expect(value(parseSize('6', CAPSULE_MEMORY))).toBe(6);
    expect(message(parseSize('17Ti', VM_MEMORY))).toContain('more than 16 TiB');
    expect(ANY_SIZE.minMiB).toBe(1);
  });

  it('prints sizes so that they read back the same', () => {
    for (const mib of [1, 512, 1536, 2048, 1048576]) expect(value(parseSize(formatSize(mib)))).toBe(mib);
    expect(formatSize(2048)).toBe('2Gi');
  });
});
