// `nova vm viewer VM` asks the VM's host about its SPICE display and says in words why it
// cannot open one, before starting anything.
import { describe, expect, it } from 'vitest';
import type { HelperClient } from '../../core/helper-client.js';
import { runCli } from '../cli-program.js';

async function run(argv: string[], answer: (method: string) => unknown) {
  let stdout = '';
  let stderr = '';
  const calls: string[] = [];
  const code = await runCli(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, {
    connectHelper: async () =>
      ({
        call: async (method: string) => {
          calls.push(method);
          return answer(method);
        },
        close: () => undefined,
      }) as unknown as HelperClient,
  });
  return { code, stdout, stderr, calls };
}

const definition = { name: 'desk', machine: 'q35', display: { vnc: true, spice: false } };

describe('nova vm viewer', () => {
  it("refuses a VM without SPICE, naming what to change, and a stopped one", async () => {
    const noSpice = await run(['vm', 'viewer', 'desk'], (m) => (m === 'vm.consoleInfo' ? { serialSocket: '/s', serialLog: '/l', vnc: null, spice: null } : { definition, state: 'running' }));
    expect(noSpice.code).toBe(1);
    expect(noSpice.stderr).toContain('VM desk has no SPICE display (it has VNC: use Open console): set its display to "spice" or "both"');
    expect(noSpice.calls).toEqual(['vm.consoleInfo', 'vm.get']);
    const stopped = await run(['vm', 'viewer', 'desk'], (m) => (m === 'vm.consoleInfo' ? { serialSocket: '/s', serialLog: '/l', vnc: null, spice: null } : { definition, state: 'stopped' }));
    expect(stopped.stderr).toContain('VM desk is stopped: start it, then open its display');
  });
});
