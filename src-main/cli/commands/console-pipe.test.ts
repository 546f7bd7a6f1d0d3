// Which console `nova connect` carries: from --console, or from a pinned key's original
// command in exactly its one form; anything else is the helper's connection or refused.
import { describe, expect, it } from 'vitest';
import { consoleRequest, consoleTargetPath } from './console-pipe.js';

describe('the console nova connect carries', () => {
  it('comes from --console and the VM', () => {
    expect(consoleRequest('vnc', 'g1', {})).toEqual({ kind: 'vnc', name: 'g1' });
    expect(consoleRequest(undefined, undefined, {})).toBeNull();
  });

  it("comes from a pinned key's original command only in exactly its form", () => {
    expect(consoleRequest(undefined, undefined, { SSH_ORIGINAL_COMMAND: 'nova connect --console spice g1' })).toEqual({ kind: 'spice', name: 'g1' });
    expect(consoleRequest(undefined, undefined, { SSH_ORIGINAL_COMMAND: 'nova connect --console serial g1' })).toEqual({ kind: 'serial', name: 'g1' });
    expect(consoleRequest(undefined, undefined, { SSH_ORIGINAL_COMMAND: 'nova connect' })).toBeNull();
    expect(consoleRequest(undefined, undefined, { SSH_ORIGINAL_COMMAND: 'nova connect --console vnc g1; rm -rf /' })).toBeNull();
    expect(() => consoleRequest(undefined, undefined, { SSH_ORIGINAL_COMMAND: 'nova connect --console vnc ../x' })).toThrow(/VM's name/);
  });

  it('refuses other kinds and names that are not VM or capsule names', () => {
    expect(consoleRequest('spice', 'g1', {})).toEqual({ kind: 'spice', name: 'g1' });
    expect(() => consoleRequest('rdp', 'g1', {})).toThrow(/vnc, serial, spice or terminal/);
    expect(() => consoleRequest('vnc', undefined, {})).toThrow(/VM's name/);
    expect(() => consoleRequest('terminal', 'Web/1', {})).toThrow(/capsule's name/);
  });

  it("is a capsule's shell with terminal, also from a pinned key", () => {
    expect(consoleRequest('terminal', 'db', {})).toEqual({ kind: 'terminal', name: 'db' });
    expect(consoleRequest(undefined, undefined, { SSH_ORIGINAL_COMMAND: 'nova connect --console terminal db' })).toEqual({ kind: 'terminal', name: 'db' });
  });

  it('is the socket the helper names, with the serial log to replay, and says so when the VM has no VNC', async () => {
    const info = { serialSocket: '/run/g1/serial.sock', serialLog: '/run/g1/serial.log', vnc: null, spice: null };
    const helper = { call: async () => info } as never;
    expect(await consoleTargetPath(helper, { kind: 'serial', name: 'g1' })).toEqual({ socketPath: '/run/g1/serial.sock', replayLog: '/run/g1/serial.log' });
    await expect(consoleTargetPath(helper, { kind: 'vnc', name: 'g1' })).rejects.toMatchObject({ code: 'failed_precondition' });
  });

  it("is a new shell of the capsule's, opened at a classic size", async () => {
    const calls: unknown[] = [];
    const helper = { call: async (method: string, params: unknown) => (calls.push([method, params]), { socketPath: '/run/t/1.sock' }) } as never;
    expect(await consoleTargetPath(helper, { kind: 'terminal', name: 'db' })).toEqual({ socketPath: '/run/t/1.sock' });
    expect(calls).toEqual([['capsule.terminalOpen', { name: 'db', cols: 80, rows: 24 }]]);
  });

  it("is the VM's SPICE socket with spice, and says so when it has none", async () => {
    const info = { serialSocket: '/run/g1/serial.sock', serialLog: '/run/g1/serial.log', vnc: null, spice: null };
    await expect(consoleTargetPath({ call: async () => info } as never, { kind: 'spice', name: 'g1' })).rejects.toThrow('g1 has no SPICE display');
    const spice = { call: async () => ({ ...info, spice: { socket: '/run/g1/spice.sock', uri: 'spice+unix:///run/g1/spice.sock' } }) } as never;
    expect(await consoleTargetPath(spice, { kind: 'spice', name: 'g1' })).toEqual({ socketPath: '/run/g1/spice.sock' });
  });
});
