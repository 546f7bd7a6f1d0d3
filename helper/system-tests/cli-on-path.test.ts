// The quick start's PATH step (.ci/install-cli, run by .ci/bootstrap): after it, a fresh
// login shell of any user finds `nova` and runs this clone's CLI; running it again
// changes nothing; a `nova` it did not write is left alone. The launcher found in
// /usr/local/bin before the test (another clone's, or none) is put back afterwards.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NOVA_VERSION } from '../../src-shared/defaults.js';
import { makeTestDir, REPO, removeTestDir } from './helper-harness.js';

const LAUNCHER = '/usr/local/bin/nova';
const MARKER = '# Nova quick-start launcher';
const SCRIPT = join(REPO, '.ci/install-cli');

let dir = '';
let before: { content: Buffer; mode: number } | null = null;

function installCli(env: Record<string, string> = {}) {
  return spawnSync('bash', [SCRIPT], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, ...env } });
}

/** A new login shell with nothing inherited, as a user opening a terminal gets. */
function freshShell(asUser: string[], script: string) {
  return spawnSync('setpriv', [...asUser, 'env', '-i', 'HOME=/', 'TERM=dumb', 'bash', '-l', '-c', script], { encoding: 'utf8', timeout: 30_000 });
}

const foreign = existsSync(LAUNCHER) && !readFileSync(LAUNCHER, 'utf8').includes(MARKER);

describe.skipIf(foreign)(`nova on the PATH after the quick start (an administrator's own ${LAUNCHER} is left alone)`, () => {
  beforeAll(async () => {
    dir = await makeTestDir('nv3d-path');
    if (existsSync(LAUNCHER)) {
      before = { content: readFileSync(LAUNCHER), mode: statSync(LAUNCHER).mode & 0o7777 };
      rmSync(LAUNCHER);
    }
  });

  afterAll(async () => {
    if (before) {
      writeFileSync(LAUNCHER, before.content);
      chmodSync(LAUNCHER, before.mode);
    } else {
      rmSync(LAUNCHER, { force: true });
    }
    if (dir) await removeTestDir(dir);
  });

  it('installs a launcher for this clone, and a second run changes nothing', () => {
    const first = installCli();
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`Putting nova on the PATH: ${LAUNCHER}`);
    expect(readFileSync(LAUNCHER, 'utf8')).toContain(join(REPO, 'out/cli/nova.mjs'));
    const stat = statSync(LAUNCHER);
    expect(stat.mode & 0o777).toBe(0o755);

    const again = installCli();
    expect({ status: again.status, stdout: again.stdout, stderr: again.stderr }).toEqual({ status: 0, stdout: '', stderr: '' });
    const after = statSync(LAUNCHER);
    expect({ ino: after.ino, mtime: after.mtimeMs }).toEqual({ ino: stat.ino, mtime: stat.mtimeMs });
  });

  it.each([
    ['root', ['--reuid=root', '--regid=root', '--init-groups']],
    ['an unprivileged user', ['--reuid=nobody', '--regid=nogroup', '--clear-groups']],
  ])('a fresh login shell of %s finds nova and runs it', (_who, asUser) => {
    const r = freshShell(asUser, 'command -v nova && nova --version');
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${LAUNCHER}\nnova ${NOVA_VERSION}\n`);
  });

  it('leaves a nova it did not write alone, and says so', () => {
    const own = join(dir, 'nova');
    writeFileSync(own, '#!/bin/sh\necho mine\n', { mode: 0o755 });
    const r = installCli({ NOVA_BIN_DIR: dir });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`${own} exists and is not Nova's launcher; leaving it alone`);
    expect(readFileSync(own, 'utf8')).toBe('#!/bin/sh\necho mine\n');
  });
});
