// The real helper on a temporary socket: the host check over the wire, the allow-list,
// schema validation, frame limits, and that one bad client never disturbs another.
import { createConnection } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostReportSchema } from '../../src-shared/index.js';
import { makeTestDir, rawCall, removeTestDir, request, startHelper, type RunningHelper } from './helper-harness.js';

const PREFIX = 'nv2i-rpc';
let dir = '';
let helper: RunningHelper;

beforeAll(async () => {
  dir = await makeTestDir(PREFIX);
  helper = await startHelper(dir);
});

afterAll(async () => {
  await helper?.stop();
  await removeTestDir(dir);
});

function errorOf(reply: Record<string, unknown> | undefined) {
  const error = reply?.error as { code: number; message: string; data?: { code: string; message: string } } | undefined;
  return error;
}

describe('helper over its socket', () => {
  it('serves the host check to root with a report that passes the contract schema', async () => {
    const { replies, code } = await rawCall(helper.socketPath, [request(1, 'host.check', { refresh: false })]);
    expect(code).toBe(0);
    const report = HostReportSchema.parse(replies[0]?.result);
    expect(report.items.length).toBeGreaterThan(10);
    expect(['kvm', 'tcg']).toContain(report.accelerator);
    expect(report.items.find((i) => i.id.startsWith('kvm'))).toBeDefined();
  });

  it('answers a malformed frame with a structured protocol error and keeps the connection', async () => {
    const { replies } = await rawCall(helper.socketPath, ['{"jsonrpc": "2.0", "id": 1, "method": ', request(2, 'helper.ping', { payload: 'after' })]);
    expect(errorOf(replies[0])?.data?.code).toBe('protocol');
    expect(replies[0]?.id).toBeNull();
    expect(replies[1]?.result).toEqual({ payload: 'after' });
  });

  it('refuses an oversize frame with frame_too_large, then serves the next request on the same connection', async () => {
    const huge = request(1, 'helper.ping', { payload: 'x'.repeat(2 * 1024 * 1024) });
    const { replies } = await rawCall(helper.socketPath, [huge, request(2, 'helper.ping', { payload: 'ok' })]);
    expect(errorOf(replies[0])?.data?.code).toBe('frame_too_large');
    expect(errorOf(replies[0])?.message).toMatch(/exceeds the limit/);
    expect(replies[1]).toMatchObject({ id: 2, result: { payload: 'ok' } });
  });

  it('rejects a method outside the allow-list', async () => {
    const { replies } = await rawCall(helper.socketPath, [request(7, 'system.exec', { argv: ['id'] })]);
    expect(replies[0]?.id).toBe(7);
    expect(errorOf(replies[0])?.data).toMatchObject({ code: 'unknown_method' });
    expect(errorOf(replies[0])?.code).toBe(-32601);
  });

  it.each([
    ['a wrong type', { refresh: 'yes' }, 'refresh'],
    ['an unknown property', { refresh: true, shell: 'rm -rf /' }, 'shell'],
  ])('rejects params with %s before doing any work', async (_what, params, field) => {
    const { replies } = await rawCall(helper.socketPath, [request(3, 'host.check', params)]);
    const error = errorOf(replies[0]);
    expect(error?.data?.code).toBe('invalid_argument');
    expect(JSON.stringify(error?.data)).toContain(field);
  });

  it('answers invalid params with a few short issues, never an echo of the request', async () => {
    const marker = 'nv12r-echo';
    const { replies } = await rawCall(helper.socketPath, [
      request(4, 'capsule.exec', { name: 'nv12r-x', command: Array.from({ length: 4000 }, () => 1), cwd: marker }),
      request(5, 'host.check', { [marker + 'k'.repeat(100_000)]: true }),
    ]);
    for (const reply of replies) {
      expect(errorOf(reply)?.data?.code).toBe('invalid_argument');
      expect(JSON.stringify(reply).length).toBeLessThan(1024);
    }
    // Values are never sent back; an unknown key is named, cut short.
    expect(JSON.stringify(replies[0])).not.toContain(marker);
    expect(errorOf(replies[0])?.message).toMatch(/\(and \d+ more\)/);
  });

  it('rejects batches and non-request JSON as protocol errors', async () => {
    const { replies } = await rawCall(helper.socketPath, [
      JSON.stringify([JSON.parse(request(1, 'helper.ping'))]),
      '42',
    ]);
    expect(errorOf(replies[0])?.data?.code).toBe('protocol');
    expect(errorOf(replies[1])?.data?.code).toBe('protocol');
  });

  it('keeps serving other clients while one client streams garbage', async () => {
    const garbage = createConnection(helper.socketPath);
    await new Promise<void>((r) => garbage.once('connect', () => r()));
    garbage.write('x'.repeat(3 * 1024 * 1024)); // an unterminated oversize frame, never finished
    const { replies } = await rawCall(helper.socketPath, [request(1, 'helper.ping', { payload: 'still here' })]);
    garbage.destroy();
    expect(replies[0]?.result).toEqual({ payload: 'still here' });
  });
});
