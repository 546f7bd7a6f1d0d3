// The `ssh` command line that reaches a remote helper: `ssh ... [user@]host nova connect`.
// OpenSSH does authentication, keys, the agent and known-hosts checking as the user's
// config says; Nova adds only what makes it non-interactive and bounded, and never
// weakens host-key checking.
import type { SshHostAddress } from '../../../src-shared/vocabulary/index.js';

export interface SshCommandOptions {
  /** No password or passphrase prompts (BatchMode): for parallel probes and scripts. */
  batch: boolean;
  /** Seconds ssh may take to open the TCP connection. */
  connectTimeoutS: number;
  /** An ssh_config file to use instead of ~/.ssh/config (NOVA_SSH_CONFIG), as `ssh -F`. */
  configFile?: string;
  /** The program, for tests and odd installs (NOVA_SSH); `ssh` from PATH otherwise. */
  program?: string;
}

export const DEFAULT_SSH_CONNECT_TIMEOUT_S = 10;

/** What runs on the host: the helper's connection, or (with more words) a console's. */
const REMOTE_COMMAND = ['nova', 'connect'] as const;

/** Golden-tested: exactly what runs. `extra` follows `nova connect` (e.g. --console vnc VM). */
export function sshArgv(address: SshHostAddress, opts: SshCommandOptions, extra: readonly string[] = []): string[] {
  const argv = [opts.program ?? 'ssh', '-T', '-x', '-a'];
  if (opts.configFile) argv.push('-F', opts.configFile);
  argv.push('-o', `ConnectTimeout=${opts.connectTimeoutS}`);
  // A dead peer is noticed in about a minute rather than at TCP's hours-long timeout.
  argv.push('-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=4');
  if (opts.batch) argv.push('-o', 'BatchMode=yes');
  if (address.port !== undefined) argv.push('-p', String(address.port));
  if (address.user) argv.push('-l', address.user);
  // `--` and a host that cannot start with "-" (host-address.ts): never an option.
  argv.push('--', address.host, ...REMOTE_COMMAND, ...extra);
  return argv;
}

/** Options from the environment: NOVA_SSH_CONFIG, NOVA_SSH_CONNECT_TIMEOUT. */
export function sshOptionsFromEnv(env: NodeJS.ProcessEnv, batch: boolean): SshCommandOptions {
  const timeout = Number(env.NOVA_SSH_CONNECT_TIMEOUT);
  return {
    batch,
    connectTimeoutS: Number.isInteger(timeout) && timeout > 0 && timeout <= 300 ? timeout : DEFAULT_SSH_CONNECT_TIMEOUT_S,
    ...(env.NOVA_SSH_CONFIG ? { configFile: env.NOVA_SSH_CONFIG } : {}),
  };
}
