// The child-stdio stream with real programs standing in for ssh: `cat` echoes frames
// back, a failing shell says why on stderr with ssh's exit code.
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { openChildStdio } from './child-stdio-stream.js';
import { sshFailureMessage } from './ssh-transport.js';

const address = { kind: 'ssh', user: 'admin', host: 'closet.lan', port: 2222 } as const;

describe('a child process as the helper connection', () => {
  it('carries bytes both ways and closes cleanly when the program ends', async () => {
    const stream = openChildStdio(['cat'], () => 'unexpected');
    await once(stream, 'connect');
    stream.write('hello\n');
    const [chunk] = (await once(stream, 'data')) as [Buffer];
    expect(chunk.toString()).toBe('hello\n');
    stream.end();
    await once(stream, 'close');
    expect(stream.errored).toBeNull();
  });

  it("fails with what the program said when it exits with an error", async () => {
    const stream = openChildStdio(['sh', '-c', 'echo "Host key verification failed." >&2; exit 255'], (stderr, code) => sshFailureMessage(address, stderr, code));
    const [err] = (await once(stream, 'error')) as [Error];
    expect(err.message).toBe('ssh could not connect to ssh://admin@closet.lan:2222:\n  Host key verification failed.');
  });

  it('a program that cannot start is an error, not a hang', async () => {
    const stream = openChildStdio(['/nonexistent/nv15s-ssh'], () => 'unexpected');
    const [err] = (await once(stream, 'error')) as [NodeJS.ErrnoException];
    expect(err.code).toBe('ENOENT');
  });
});

describe("ssh's failure in the error", () => {
  it("keeps ssh's lines, without the rows of @", () => {
    const stderr = '@@@@@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n@@@@@@@@\nOffending ED25519 key in /k/known_hosts:1\nHost key verification failed.\n';
    const msg = sshFailureMessage(address, stderr, 255);
    expect(msg).toContain('WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!');
    expect(msg).toContain('Offending ED25519 key in /k/known_hosts:1');
    expect(msg).not.toMatch(/^\s*@+$/m);
  });

  it('tells nova connect failures on the remote side from ssh', () => {
    expect(sshFailureMessage(address, 'nova: The Nova helper is not reachable\n', 1)).toBe('nova connect on ssh://admin@closet.lan:2222 exited with code 1:\n  nova: The Nova helper is not reachable');
  });
});
