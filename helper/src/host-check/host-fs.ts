// Reading the host's kernel interfaces (/proc, /sys, /dev...) through a HostProbeEnv,
// so every probe names the real path in its evidence while tests point it at a fake
// tree. Missing files are ordinary answers here, not errors.
import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { type HostRoots, hostPath } from './host-probe-env.js';

export async function readHostFile(env: HostRoots, path: string): Promise<string | null> {
  try {
    return await readFile(hostPath(env, path), 'utf8');
  } catch {
    return null;
  }
}

export async function hostPathExists(env: HostRoots, path: string): Promise<boolean> {
  try {
    await lstat(hostPath(env, path));
    return true;
  } catch {
    return false;
  }
}

/** Directory entries, sorted; null when the directory does not exist. */
export async function listHostDir(env: HostRoots, path: string): Promise<string[] | null> {
  try {
    return (await readdir(hostPath(env, path))).sort();
  } catch {
    return null;
  }
}

export interface HostNodeInfo {
  kind: 'char-device' | 'block-device' | 'directory' | 'file' | 'other';
  /** e.g. "crw-rw----" */
  modeString: string;
  uid: number;
  gid: number;
}

export async function hostNodeInfo(env: HostRoots, path: string): Promise<HostNodeInfo | null> {
  try {
    const st = await stat(hostPath(env, path));
    const kind = st.isCharacterDevice()
      ? 'char-device'
      : st.isBlockDevice()
        ? 'block-device'
        : st.isDirectory()
          ? 'directory'
          : st.isFile()
            ? 'file'
            : 'other';
    return { kind, modeString: modeString(kind, st.mode), uid: st.uid, gid: st.gid };
  } catch {
    return null;
  }
}

function modeString(kind: HostNodeInfo['kind'], mode: number): string {
  const type = { 'char-device': 'c', 'block-device': 'b', directory: 'd', file: '-', other: '?' }[kind];
  const bits = 'rwxrwxrwx'
    .split('')
    .map((ch, i) => (mode & (1 << (8 - i)) ? ch : '-'))
    .join('');
  return type + bits;
}

/** pids of the processes listed in /proc. */
export async function listPids(env: HostRoots): Promise<number[]> {
  const entries = (await listHostDir(env, '/proc')) ?? [];
  return entries.filter((e) => /^\d+$/.test(e)).map(Number).sort((a, b) => a - b);
}

/** Parses the KEY=VALUE\0 list of /proc/PID/environ. */
export function parseEnviron(raw: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const entry of raw.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) vars.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return vars;
}
