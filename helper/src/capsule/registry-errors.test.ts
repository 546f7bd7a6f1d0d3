import { describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/errors.js';
import { registryError, skopeoMessage } from './registry-errors.js';

const failed = (stderr: string) => new NovaError('internal', `skopeo failed (exit 1): ${stderr.split('\n').at(-1)}`, { exitCode: 1, stderr });
const REFUSED_LINE = 'time="2026-12-06T15:53:40Z" level=fatal msg="Error parsing image name \\"docker://127.0.0.1:9/a/none:1\\": pinging container registry 127.0.0.1:9: Get \\"http://127.0.0.1:9/v2/\\": dial tcp 127.0.0.1:9: connect: connection refused"';

describe('registry errors', () => {
  it("takes skopeo's own sentence out of its logrus line", () => {
    expect(skopeoMessage(`${REFUSED_LINE}\n`)).toBe('Error parsing image name "docker://127.0.0.1:9/a/none:1": pinging container registry 127.0.0.1:9: Get "http://127.0.0.1:9/v2/": dial tcp 127.0.0.1:9: connect: connection refused');
    expect(skopeoMessage('plain words\n')).toBe('plain words');
  });

  it('says an unreachable registry is unavailable, naming it', () => {
    const e = registryError(failed(REFUSED_LINE), '127.0.0.1:9/a/none:1', '127.0.0.1:9') as NovaError;
    expect(e.code).toBe('unavailable');
    expect(e.message).toMatch(/^the registry 127\.0\.0\.1:9 cannot be reached: .*connection refused$/);
  });

  it('says a name the registry does not have is not found, and a refusal is not authorized', () => {
    const missing = registryError(failed('time="x" level=fatal msg="reading manifest 1 in 127.0.0.1:5000/a/none: manifest unknown"'), '127.0.0.1:5000/a/none:1', '127.0.0.1:5000') as NovaError;
    expect([missing.code, missing.message]).toEqual(['not_found', '127.0.0.1:5000/a/none:1 is not in the registry 127.0.0.1:5000: reading manifest 1 in 127.0.0.1:5000/a/none: manifest unknown']);
    const denied = registryError(failed('time="x" level=fatal msg="initializing source: requested access to the resource is denied"'), 'r/a:1', 'r') as NovaError;
    expect(denied.code).toBe('not_authorized');
  });

  it('leaves other errors as they were', () => {
    const other = failed('time="x" level=fatal msg="writing blob: disk quota exceeded"');
    expect(registryError(other, 'r/a:1', 'r')).toBe(other);
    const cancelled = new NovaError('cancelled', 'pull cancelled');
    expect(registryError(cancelled, 'r/a:1', 'r')).toBe(cancelled);
  });
});
