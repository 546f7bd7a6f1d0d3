// The exact argv of every OCI runtime call the capsule engine makes itself (runc and crun
// share this CLI; `create` is conmon's, see conmon-argv.ts). The runtime's state lives
// under --root inside Nova's state dir, never in /run.
export function killArgv(runtime: string, root: string, id: string, signal: string, all = false): string[] {
  return [runtime, '--root', root, 'kill', ...(all ? ['--all'] : []), id, signal];
}

export function deleteArgv(runtime: string, root: string, id: string): string[] {
  return [runtime, '--root', root, 'delete', '--force', id];
}

export function pauseArgv(runtime: string, root: string, id: string): string[] {
  return [runtime, '--root', root, 'pause', id];
}

export function resumeArgv(runtime: string, root: string, id: string): string[] {
  return [runtime, '--root', root, 'resume', id];
}

/** A container run to its end in the foreground (the user-namespace probe). */
export function runArgv(runtime: string, root: string, bundle: string, id: string): string[] {
  return [runtime, '--root', root, 'run', '--bundle', bundle, id];
}

/** Lets a container that conmon's `create` made run its process. */
export function startArgv(runtime: string, root: string, id: string): string[] {
  return [runtime, '--root', root, 'start', id];
}

export interface ExecArgvOptions {
  tty: boolean;
  env?: Record<string, string>;
  cwd?: string;
  user?: string;
}

export function execArgv(runtime: string, root: string, id: string, command: readonly string[], o: ExecArgvOptions): string[] {
  const argv = [runtime, '--root', root, 'exec'];
  if (o.tty) argv.push('--tty');
  for (const [k, v] of Object.entries(o.env ?? {})) argv.push('--env', `${k}=${v}`);
  if (o.cwd) argv.push('--cwd', o.cwd);
  if (o.user) argv.push('--user', o.user);
  argv.push(id, ...command);
  return argv;
}

export function overlayMountArgv(lower: string, upper: string, work: string, target: string): string[] {
  return ['mount', '-t', 'overlay', 'overlay', '-o', `lowerdir=${lower},upperdir=${upper},workdir=${work}`, target];
}

export function umountArgv(target: string): string[] {
  return ['umount', target];
}

export function copyTreeArgv(from: string, to: string): string[] {
  return ['cp', '--archive', '--reflink=auto', '--no-target-directory', from, to];
}

/** Snapshot archives keep overlay whiteouts (char 0/0) and opaque-dir xattrs. */
export function tarCreateArgv(archive: string, dir: string): string[] {
  return ['tar', '--create', '--file', archive, '--numeric-owner', '--xattrs', '--xattrs-include=*', '--directory', dir, '.'];
}

export function tarExtractArgv(archive: string, dir: string): string[] {
  return ['tar', '--extract', '--file', archive, '--numeric-owner', '--xattrs', '--xattrs-include=*', '--same-permissions', '--directory', dir];
}
