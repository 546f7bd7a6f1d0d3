// `nova vm template`, `nova vm clone --full` and `nova vm create --from-template` against
// the real helper and qemu-img: a template refuses to start, a full clone stands alone
// (its disk names no backing file), a VM made from the template is a linked overlay on
// the template's disk, and --undo makes the template an ordinary VM again.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOperationHelper, type OperationHelperRun } from './fixtures/operation-helper.js';
import { CLI_BUNDLE } from './helper-harness.js';

const PREFIX = 'nv11i';
const SOURCE = `${PREFIX}-src`;
let run: OperationHelperRun;

function nova(...args: string[]) {
  return spawnSync(process.execPath, [CLI_BUNDLE, '--socket', run.helper.socketPath, '--no-autostart', ...args], { encoding: 'utf8', timeout: 120_000 });
}

function backingOf(path: string): string | undefined {
  const info = JSON.parse(spawnSync('qemu-img', ['info', '--output=json', '-U', path], { encoding: 'utf8' }).stdout) as { 'backing-filename'?: string };
  return info['backing-filename'];
}

beforeAll(async () => {
  run = await startOperationHelper(`${PREFIX}-clone`);
  await run.client.call('vm.create', { name: SOURCE, memory: '128Mi', diskSize: '64Mi', display: 'none' });
}, 60_000);

afterAll(async () => {
  await run?.stop();
});

describe('clone and template from the CLI', () => {
  it('makes a template, which then refuses to start', async () => {
    const r = nova('vm', 'template', SOURCE);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${SOURCE} is a template: nova vm create NEW --from-template ${SOURCE}\n`);
    expect((await run.client.call('vm.get', { name: SOURCE })).definition.template).toBe(true);
    const start = nova('vm', 'start', SOURCE);
    expect(start.status).not.toBe(0);
    expect(start.stderr).toMatch(/template/);
  });

  it('clones it whole with --full: a disk of its own', async () => {
    const r = nova('vm', 'clone', SOURCE, `${PREFIX}-full`, '--full');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`cloned ${SOURCE} to ${PREFIX}-full (full, 1 disk)\n`);
    const clone = await run.client.call('vm.get', { name: `${PREFIX}-full` });
    expect(clone.definition.template).toBe(false);
    expect(backingOf(clone.definition.disks[0]!.path)).toBeUndefined();
  });

  it('creates a VM from the template as an overlay on its disk', async () => {
    const r = nova('vm', 'create', `${PREFIX}-linked`, '--from-template', SOURCE, '--display', 'none');
    expect(r.stderr).not.toMatch(/nova: /);
    expect(r.status).toBe(0);
    const linked = await run.client.call('vm.get', { name: `${PREFIX}-linked` });
    const template = await run.client.call('vm.get', { name: SOURCE });
    expect(backingOf(linked.definition.disks[0]!.path)).toBe(template.definition.disks[0]!.path);
  });

  it('--undo makes it an ordinary VM again', async () => {
    expect(nova('vm', 'template', SOURCE, '--undo').stdout).toBe(`${SOURCE} is an ordinary VM again\n`);
    expect((await run.client.call('vm.get', { name: SOURCE })).definition.template).toBe(false);
  });
});
