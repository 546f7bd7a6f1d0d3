import { describe, expect, it } from 'vitest';
import { ErrorCodeSchema } from '../../../src-shared/errors.js';
import { errorWords } from './error-words.js';

describe('errorWords', () => {
  it('names a missing path and the allowed folders, never advising a refresh', () => {
    const words = errorWords({
      code: 'not_found',
      message: 'the disk to import "/srv/nv16u/missing.qcow2" does not exist',
      details: { path: '/srv/nv16u/missing.qcow2', allowedFolders: ['/srv/nv16u', '/var/lib/nova'] },
    });
    expect(words.field).toBe('path');
    expect(words.title).toBe('File not found');
    expect(words.sentence).toBe('The disk to import "/srv/nv16u/missing.qcow2" does not exist.');
    expect(words.next).toContain('/srv/nv16u, /var/lib/nova');
    expect(words.next).not.toMatch(/refresh/i);
  });

  it('sends only a path opened at VM start to the allowed-root option, not an import', () => {
    const atStart = errorWords({ code: 'not_found', message: 'the ISO "/srv/nv16i/a.iso" does not exist', details: { path: '/srv/nv16i/a.iso', allowedFolders: ['/srv/nv16i'] } });
    expect(atStart.next).toContain('--allowed-root');
    const imported = errorWords({ code: 'not_found', message: '/home/u/nv16i.tar does not exist', details: { path: '/home/u/nv16i.tar', openedFor: 'import' } });
    expect(imported.field).toBe('path');
    expect(imported.next).toBe('Check the path /home/u/nv16i.tar and choose a file that exists there.');
    const confined = errorWords({ code: 'not_found', message: 'x', details: { path: '/srv/nv16i/b.tar', allowedFolders: ['/srv/nv16i'], openedFor: 'import' } });
    expect(confined.next).toContain('/srv/nv16i');
    expect(confined.next).not.toContain('--allowed-root');
  });

  it('gives every code words without the code itself', () => {
    // Single-word codes ("unavailable") are plain English; the snake_case ones are not.
    for (const code of ErrorCodeSchema.options.filter((c) => c.includes('_'))) {
      const words = errorWords({ code, message: 'something went wrong' });
      expect(`${words.title} ${words.sentence} ${words.next}`).not.toContain(code);
      expect(words.title.length).toBeGreaterThan(0);
    }
  });

  it('keeps per-code advice for errors that name no path', () => {
    expect(errorWords({ code: 'already_exists', message: 'image x already exists' }).title).toBe('Already exists');
    expect(errorWords({ code: 'not_found', message: 'VM "a" does not exist' }).field).toBeUndefined();
  });

  it("speaks of the registry, not of Nova's helper, when a registry is out of reach", () => {
    const w = errorWords({ code: 'unavailable', message: 'the registry 127.0.0.1:9 cannot be reached: connection refused', details: { registry: '127.0.0.1:9', reference: '127.0.0.1:9/a:1' } });
    expect(w.title).toBe('Registry not reachable');
    expect(w.sentence).toBe('The registry 127.0.0.1:9 cannot be reached: connection refused.');
    expect(w.next).toMatch(/^Check the address 127\.0\.0\.1:9 and that the registry is running/);
    expect(w.next).not.toMatch(/helper/i);
    expect(errorWords({ code: 'not_found', message: 'x', details: { registry: 'r' } }).title).toBe('Image not in the registry');
  });

  it('tells a browser whose token may only look how to get one that may change things', () => {
    const w = errorWords({ code: 'not_authorized', message: 'This token viewer may only view; vm.start changes things and needs a token with the manage scope', details: { webScope: true, method: 'vm.start' } });
    expect(w.title).toBe('Not allowed with this token');
    expect(w.next).toContain('nova token create --scope manage');
    expect(w.next).not.toMatch(/polkit/);
    expect(errorWords({ code: 'not_authorized', message: 'polkit refused' }).title).toBe('Not authorized');
  });
});
