import { describe, expect, it } from 'vitest';
import { conmonArgv } from './conmon-argv.js';
import { conmonArgvIsRun } from './interrupted-start.js';

describe('conmonArgvIsRun', () => {
  const argv = (id: string, persistDir: string) =>
    conmonArgv({ conmon: 'conmon', runtimeWrapper: '/w', runtime: 'runc', runtimeRoot: '/s/runc', runtimeLog: '/l', containerId: id, bundle: '/b', pidFile: '/p', persistDir, logFile: '/log' });
  it('recognises the monitor of one capsule run by its container id and run dir together', () => {
    expect(conmonArgvIsRun(argv('nova-a', '/s/capsules/a/run'), 'nova-a', '/s/capsules/a/run')).toBe(true);
    expect(conmonArgvIsRun(argv('nova-a', '/t/capsules/a/run'), 'nova-a', '/s/capsules/a/run')).toBe(false);
    expect(conmonArgvIsRun(argv('nova-ab', '/s/capsules/a/run'), 'nova-a', '/s/capsules/a/run')).toBe(false);
    expect(conmonArgvIsRun(['/usr/bin/conmon', '--cid', 'nova-a', '--persist-dir', '/s/capsules/a/run'], 'nova-a', '/s/capsules/a/run')).toBe(true);
    expect(conmonArgvIsRun(['sleep', '--cid', 'nova-a', '--persist-dir', '/s/capsules/a/run'], 'nova-a', '/s/capsules/a/run')).toBe(false);
  });
});
