import { describe, expect, it } from 'vitest';
import { parseStartTime, processStartTime } from './proc-stat.js';

describe('parseStartTime', () => {
  it('reads field 22 even when the command name holds spaces and parentheses', () => {
    const stat = '1234 (qemu (nova) vm) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 3 0 987654 1000 10 18446744073709551615';
    expect(parseStartTime(stat)).toBe('987654');
  });
  it('returns null for garbage', () => {
    expect(parseStartTime('nonsense')).toBeNull();
  });
  it('reads this process start time from /proc', async () => {
    expect(await processStartTime(process.pid)).toMatch(/^\d+$/);
  });
});
