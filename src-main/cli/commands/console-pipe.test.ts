// Which console `nova connect` carries: from --console, or from a pinned key's original
// command in exactly its one form; anything else is the helper's connection or refused.
import { describe, expect, it } from 'vitest';
import { consoleRequest, consoleSocketPath } from './console-pipe.js';

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

  it('refuses other kinds and names that are not VM names', () => {
    expect(consoleRequest('spice', 'g1', {})).toEqual({ kind: 'spice', name: 'g1' });
    expect(() => consoleRequest('rdp', 'g1', {})).toThrow(/vnc, serial or spice/);
    expect(() => consoleRequest('vnc', undefined, {})).toThrow(/VM's name/);
  });

  it("is the socket the helper names, and says so when the VM has no VNC", async () => {
    const info = { serialSocket: '/run/g1/serial.sock', serialLog: '/x', vnc: null, spice: null };
    const helper = { call: async () => info } as never;
    expect(await consoleSocketPath(helper, { kind: 'serial', name: 'g1' })).toBe('/run/g1/serial.sock');
    await expect(consoleSocketPath(helper, { kind: 'vnc', name: 'g1' })).rejects.toMatchObject({ code: 'failed_precondition' });
    await expect(consoleSocketPath(helper, { kind: 'spice', name: 'g1' })).rejects.toThrow('g1 has no SPICE display');
    const spice = { call: async () => ({ ...info, spice: { socket: '/run/g1/spice.sock', uri: 'spice+unix:///run/g1/spice.sock' } }) } as never;
    expect(await consoleSocketPath(spice, { kind: 'spice', name: 'g1' })).toBe('/run/g1/spice.sock');
  });
});
