// The staging of a run's volumes against a temp state dir, with `mount` and `umount` played
// by a recorder (a unit test mounts nothing): what is bound, from which descriptor, and that
// nothing is left behind when a volume is refused or the run is set up.
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProcessRunner, RunSpec } from '../process/process-runner.js';
import { CapsuleLayout } from './capsule-layout.js';
import { bindStdinArgv, mountsUnder, unbindArgv, VolumeStaging } from './volume-staging.js';

let dir = '';
let vols = '';
let layout: CapsuleLayout;
let mounted: string[];
let calls: { argv: readonly string[]; stdin: string | null }[];

/** Plays mount(8) and umount(8) on a list of mount points, and says what each bind was given. */
const runner: Pick<ProcessRunner, 'run'> = {
  run: async (spec: RunSpec) => {
    const stdin = spec.stdinFd !== undefined ? (await readdir(`/proc/self/fd/${spec.stdinFd}`).catch(() => null))?.join(',') ?? 'a file' : null;
    calls.push({ argv: spec.argv, stdin });
    if (spec.argv[0] === 'mount') mounted.push(spec.argv[spec.argv.length - 1]!);
    else mounted = mounted.filter((m) => !spec.argv.includes(m));
    return { exitCode: 0, signal: null, stdout: '', stderr: '', stopped: false, durationMs: 1 };
  },
};

/** mountinfo lines for the recorded points (field 5 is the mount point, spaces escaped). */
const readMountinfo = async () => mounted.map((m, i) => `${40 + i} 1 8:1 /x ${m.replace(/ /g, '\\040')} rw - ext4 /dev/x rw`).join('\n');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv12c-stage-'));
  vols = join(dir, 'vols');
  await mkdir(join(vols, 'data'), { recursive: true });
  await writeFile(join(vols, 'data', 'marker'), 'x');
  await writeFile(join(vols, 'app.conf'), 'y');
  await symlink('/etc', join(vols, 'etc-link'));
  layout = new CapsuleLayout(join(dir, 'state'));
  await mkdir(layout.root, { recursive: true });
  mounted = [];
  calls = [];
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

function staging(): VolumeStaging {
  return new VolumeStaging({ layout, runner, volumeRoots: [vols], readMountinfo });
}

describe('VolumeStaging', () => {
  it('binds each volume, found by descriptor, on its own point in the state dir, and takes the binds away on release', async () => {
    const staged = await staging().stage('web', [
      { source: join(vols, 'data'), target: '/data', readOnly: false },
      { source: join(vols, 'app.conf'), target: '/etc/app.conf', readOnly: true },
    ]);
    expect(calls).toEqual([
      { argv: bindStdinArgv(layout.volumePoint('web', 0)), stdin: 'marker' },
      // A file's descriptor lists nothing: it is a file, bound on a file.
      { argv: bindStdinArgv(layout.volumePoint('web', 1)), stdin: 'a file' },
    ]);
    expect(mounted).toEqual([layout.volumePoint('web', 0), layout.volumePoint('web', 1)]);
    await staged.release();
    expect(mounted).toEqual([]);
    expect(await readdir(join(layout.root, '.volumes'))).toEqual([]);
  });

  it('refuses a volume that is a link when the capsule starts, leaving nothing bound and no staging dir', async () => {
    const refused = staging().stage('web', [
      { source: join(vols, 'data'), target: '/data', readOnly: false },
      { source: join(vols, 'etc-link'), target: '/host', readOnly: false },
    ]);
    await expect(refused).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/is a symbolic link/) });
    expect(mounted).toEqual([]);
    expect(await readdir(join(layout.root, '.volumes'))).toEqual([]);
  });

  it('clears what a killed helper left bound, for every capsule, at recovery', async () => {
    await staging().stage('web', [{ source: join(vols, 'data'), target: '/data', readOnly: false }]);
    await staging().stage('db', [{ source: join(vols, 'data'), target: '/data', readOnly: false }]);
    await staging().clearAll();
    expect(mounted).toEqual([]);
    expect(await readdir(join(layout.root, '.volumes'))).toEqual([]);
    // The volume itself is untouched.
    expect(await readdir(join(vols, 'data'))).toEqual(['marker']);
  });
});

describe('volume staging argv and mountinfo', () => {
  it('binds stdin with what is mounted below it, without canonicalizing, privately; unbinds lazily', () => {
    expect(bindStdinArgv('/s/capsules/.volumes/web/0')).toEqual(['mount', '--no-canonicalize', '--rbind', '--make-rprivate', '/proc/self/fd/0', '/s/capsules/.volumes/web/0']);
    expect(unbindArgv(['/a', '/b'])).toEqual(['umount', '--no-canonicalize', '--lazy', '/a', '/b']);
  });

  it('reads mount points below a dir, octal escapes included', () => {
    const info = ['36 1 8:1 / /s/capsules/.volumes/web/0 rw - ext4 /dev/x rw', '37 1 8:1 / /s/capsules/.volumes/my\\040web rw - ext4 /dev/x rw', '38 1 8:1 / /s/capsules/.volumesx rw - ext4 /dev/x rw'].join('\n');
    expect(mountsUnder(info, '/s/capsules/.volumes')).toEqual(['/s/capsules/.volumes/web/0', '/s/capsules/.volumes/my web']);
  });
});
