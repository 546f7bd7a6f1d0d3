// `nova run`: reads the NovaFile (-f FILE or folder), prints each action as it lands,
// refuses a file with errors before reaching the helper, and prints JSON with --json.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/errors.js';
import type { HelperClient } from '../../core/helper-client.js';
import type { CliContext } from '../cli-context.js';
import { registerRunCommand } from './run-command.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv3n-run-'));
  await writeFile(join(dir, 'NovaFile.toml'), 'project = "p"\n\n[vm.web]\nkernel = "./vmlinux"\ncpu = 1\n');
  await writeFile(join(dir, 'bad.toml'), 'project = "p"\n\n[vm.web]\ncpu = 0\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(argv: string[], answer: (method: string) => unknown) {
  let stdout = '';
  let stderr = '';
  const calls: string[] = [];
  let connected = false;
  const program = new Command('nova').option('--json', '', false).exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  const ctx: CliContext = {
    io: { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) },
    globals: () => ({ socket: '', stateDir: '', json: program.opts<{ json: boolean }>().json, autostart: false }),
    connectHelper: async () => {
      connected = true;
      return { call: async (method: string) => (calls.push(method), answer(method)), close: () => undefined } as unknown as HelperClient;
    },
  };
  registerRunCommand(program, ctx);
  const harden = (c: Command) => {
    c.exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
    c.commands.forEach(harden);
  };
  harden(program);
  let error: unknown = null;
  await program.parseAsync(argv, { from: 'user' }).catch((e: unknown) => (error = e));
  return { stdout, stderr, calls, error, connected };
}

const answers = (method: string) => {
  if (method === 'vm.get') throw new NovaError('not_found', 'VM web does not exist');
  return { state: method === 'vm.start' ? 'running' : 'stopped' };
};

describe('nova run vm', () => {
  it('creates and starts the VM of the NovaFile in a folder, printing each action', async () => {
    const r = await run(['run', 'vm', 'web', '-f', dir], answers);
    expect(r.error).toBeNull();
    expect(r.calls).toEqual(['vm.get', 'vm.create', 'vm.start']);
    expect(r.stdout).toBe('vm web: created\nvm web: started\n');
  });

  it('prints the report as JSON with --json', async () => {
    const r = await run(['run', 'vm', 'web', '-f', join(dir, 'NovaFile.toml'), '--json'], answers);
    expect(JSON.parse(r.stdout)).toEqual({ actions: ['vm web: created', 'vm web: started'], notices: [] });
  });

  it('refuses a NovaFile with errors, printing them, without reaching the helper', async () => {
    const r = await run(['run', 'vm', 'web', '-f', join(dir, 'bad.toml')], answers);
    expect(r.error).toMatchObject({ code: 'invalid_argument' });
    expect(r.stderr).toMatch(/bad\.toml:4:7: error: vm\.web\.cpu: /);
    expect(r.connected).toBe(false);
  });

  it('says where it looked when there is no NovaFile', async () => {
    const r = await run(['run', 'vm', 'web', '-f', join(dir, 'none.toml')], answers);
    expect(r.error).toMatchObject({ code: 'not_found', message: expect.stringContaining('none.toml') });
  });
});
