// ProjectService with a fake helper that has nothing and holds network.create until it
// is cancelled: one run per project at a time, cancel reaching the helper call in flight,
// progress events, and a save refused while the text does not validate.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NovaError } from '../../src-shared/errors.js';
import type { NovaEvent } from '../../src-shared/api/events.js';
import { ProjectService } from './project-service.js';

const FILE_TEXT = 'project = "nv9w"\n\n[network.nv9wnet]\nsubnet = "10.211.3.1/24"\n';

let dir: string;
let file: string;
let events: NovaEvent[];
let started: () => void;
let createStarted: Promise<void>;

const helper = {
  call: (method: string, _params: unknown, opts: { signal?: AbortSignal } = {}): Promise<never> => {
    if (method === 'network.list') return Promise.resolve({ networks: [], broken: [] } as never);
    if (method === 'vm.list') return Promise.resolve({ vms: [], broken: [] } as never);
    if (method === 'capsule.list') return Promise.resolve({ capsules: [], broken: [] } as never);
    if (method.endsWith('.snapshotPolicyGet')) return Promise.resolve(null as never);
    if (method === 'network.leases') return Promise.resolve({ leases: [] } as never);
    started();
    // Held until cancelled, as a helper operation is until operation.cancel.
    return new Promise((_, reject) => opts.signal?.addEventListener('abort', () => reject(new NovaError('cancelled', `${method} cancelled`))));
  },
};

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'nv9w-svc-'));
  file = path.join(dir, 'NovaFile.toml');
  await writeFile(file, FILE_TEXT);
  events = [];
  createStarted = new Promise((resolve) => (started = resolve));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const service = () => new ProjectService(helper as never, (e) => events.push(e));

describe('ProjectService', () => {
  it('opens a folder with its text, validation and plan', async () => {
    const opened = await service().open(dir);
    expect(opened.file).toBe(file);
    expect(opened.validation.valid).toBe(true);
    expect(opened.plan?.changes).toEqual([{ kind: 'network', name: 'nv9wnet', class: 'create', fields: [] }]);
  });

  it('runs one apply per project, cancels the helper call in flight, and says so in events', async () => {
    const s = service();
    const up = s.up(file);
    await createStarted;
    await expect(s.up(dir)).rejects.toMatchObject({ code: 'locked' });
    await expect(s.down(file, false)).rejects.toMatchObject({ code: 'locked' });
    expect(await s.cancel(dir)).toEqual({ cancelled: true });
    const { outcome } = await up;
    expect(outcome?.cancelled).toBe(true);
    expect(outcome?.applied).toEqual([]);
    expect(await s.cancel(file)).toEqual({ cancelled: false });
    expect(events.filter((e) => e.name === 'project.changed').map((e) => e.payload)).toEqual([
      { file, running: 'up' },
      { file, running: null },
    ]);
  });

  it('saves only text that validates', async () => {
    const s = service();
    const bad = await s.save(file, 'project = "nv9w"\n[network.nv9wnet]\nsubnet = "nope"\n');
    expect(bad.saved).toBe(false);
    expect(bad.validation.diagnostics[0]).toMatchObject({ line: 3, severity: 'error' });
    expect(await readFile(file, 'utf8')).toBe(FILE_TEXT);
    const good = await s.save(dir, FILE_TEXT.replace('10.211.3.1', '10.211.4.1'));
    expect(good).toMatchObject({ saved: true, file });
    expect(await readFile(file, 'utf8')).toContain('10.211.4.1');
  });
});
