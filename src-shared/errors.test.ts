import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { MAX_REPORTED_ISSUES, schemaError } from './errors.js';

describe('schemaError', () => {
  it('names the offending field', () => {
    const r = z.strictObject({ refresh: z.boolean() }).safeParse({ refresh: 'yes' });
    const err = schemaError('Invalid parameters for host.check', r.error!);
    expect(err.code).toBe('invalid_argument');
    expect(err.message).toMatch(/at "refresh"$/);
    expect(err.details).toEqual({ issues: [{ path: 'refresh', message: expect.any(String) }] });
  });

  it('reports a few issues however many the request has, and how many it left out', () => {
    const r = z.strictObject({ command: z.array(z.string()) }).safeParse({ command: Array.from({ length: 4000 }, () => 1) });
    const err = schemaError('Invalid parameters', r.error!);
    const details = err.details as { issues: unknown[]; omitted: number };
    expect(details.issues).toHaveLength(MAX_REPORTED_ISSUES);
    expect(details.omitted).toBe(4000 - MAX_REPORTED_ISSUES);
    expect(err.message).toContain(`(and ${4000 - MAX_REPORTED_ISSUES} more)`);
    expect(JSON.stringify(err.toShape()).length).toBeLessThan(1024);
  });

  it('never echoes a huge key or value back', () => {
    const key = 'k'.repeat(100_000);
    const r = z.strictObject({}).safeParse({ [key]: 1 });
    expect(JSON.stringify(schemaError('Invalid parameters', r.error!).toShape()).length).toBeLessThan(1024);
  });

  it("keeps the vocabulary's own explanations whole", () => {
    const r = z.strictObject({ name: z.string().refine(() => false, { message: 'network name "nv8nvabcdefghijkl" is too long: the limit is 15 (network names become Linux interface names), as the kernel allows at most 15 characters' }) }).safeParse({ name: 'x' });
    expect(schemaError('invalid network', r.error!).message).toMatch(/at most 15 characters at "name"$/);
  });
});
