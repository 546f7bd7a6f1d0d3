// A child process's stdin/stdout as one Duplex, the way HelperClient uses a unix socket:
// it emits 'connect' once the program runs, and when the program exits other than
// cleanly the stream fails with what the program said on stderr (ssh's own words:
// "Host key verification failed.", "Connection timed out").
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';

/** stderr kept for the failure message; ssh's longest (a changed host key) is ~1.5 KiB. */
const MAX_STDERR = 8192;

export function openChildStdio(argv: readonly string[], describe: (stderr: string, code: number | null) => string): Duplex {
  const [file, ...args] = argv as [string, ...string[]];
  // The user's environment on purpose: ssh needs SSH_AUTH_SOCK, HOME and its config.
  const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  const stream = new Duplex({
    read() {
      child.stdout.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      // A broken pipe means the program is exiting: its exit status and stderr, not EPIPE, say why.
      child.stdin.write(chunk, () => callback());
    },
    final(callback) {
      child.stdin.end(() => callback());
    },
    destroy(err, callback) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      callback(err);
    },
  });
  child.stdout.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) child.stdout.pause();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < MAX_STDERR) stderr += chunk.toString('utf8');
  });
  child.stdin.on('error', () => undefined);
  child.once('spawn', () => stream.emit('connect'));
  child.once('error', (err) => stream.destroy(err));
  child.once('close', (code) => {
    if (code === 0) stream.destroy();
    else stream.destroy(new Error(describe(stderr.slice(0, MAX_STDERR), code)));
  });
  return stream;
}
