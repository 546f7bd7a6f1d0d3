// Opens a connection to a remote host's helper: `ssh HOST nova connect`, whose stdio
// carries the helper's framed JSON-RPC unchanged. What ssh says when it fails becomes
// the error, so a refused host key reads exactly as ssh words it.
import type { Duplex } from 'node:stream';
import { formatHostAddress, type SshHostAddress } from '../../../src-shared/vocabulary/index.js';
import { openChildStdio } from './child-stdio-stream.js';
import { sshArgv, type SshCommandOptions } from './ssh-command.js';

/** ssh exits 255 for its own errors; other codes come from `nova connect` on the remote side. */
const SSH_OWN_FAILURE = 255;

export function openSshConnection(address: SshHostAddress, opts: SshCommandOptions, extra: readonly string[] = []): Duplex {
  return openChildStdio(sshArgv(address, opts, extra), (stderr, code) => sshFailureMessage(address, stderr, code));
}

export function sshFailureMessage(address: SshHostAddress, stderr: string, code: number | null): string {
  // The rows of "@" around a warning carry nothing; every other line ssh wrote is kept.
  const said = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^@+$/.test(l))
    .join('\n  ');
  const where = formatHostAddress(address);
  if (code === SSH_OWN_FAILURE) return `ssh could not connect to ${where}:\n  ${said || 'no reason given'}`;
  return `nova connect on ${where} exited with code ${code ?? 'signal'}${said ? `:\n  ${said}` : ''}`;
}
