// project.export as main serves it: the params a page sends (validated by the method's
// schema), the file the CLI would print, and the resources of no project named, so the
// page can offer to adopt them; the file reads back as no change once they are adopted.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectMethods } from '../../src-shared/api/project-api.js';
import type { Network } from '../../src-shared/network.js';
import { parseNovaFile } from './novafile/novafile-parser.js';
import { desiredState } from './project/desired-state.js';
import { planProject } from './project/project-plan.js';
import { ProjectService } from './project-service.js';

const lan: Network = {
  name: 'nv16xlan', type: 'bridge', profile: 'nat', bridge: 'nv16xlan', subnet: '10.216.0.0/24', gateway: '10.216.0.1', dhcpRange: { start: '10.216.0.100', end: '10.216.0.199' },
  uplinks: [], dns: true, domain: 'nv16xlan.nova', driver: null, vni: null, peers: [], egressAllow: null, forwards: [], attachments: [],
  status: { state: 'active', reasons: [] }, createdAt: 'T', project: null,
};

function serviceWith(networks: Network[]): ProjectService {
  const replies: Record<string, unknown> = {
    'network.list': { networks, broken: [] },
    'vm.list': { vms: [], broken: [] },
    'capsule.list': { capsules: [], broken: [] },
    'vm.snapshotPolicyList': [],
    'capsule.snapshotPolicyList': [],
  };
  const helper = {
    call: (method: string) => (method in replies ? Promise.resolve(replies[method]) : Promise.reject(new Error(`unexpected ${method}`))),
  };
  return new ProjectService(helper as never, () => undefined);
}

const parse = (params: unknown) => projectMethods['project.export'].params.parse(params);

describe('project.export', () => {
  it('writes the named resources for the project and names those of no project', async () => {
    const { names, project } = parse({ names: ['nv16xlan'], project: 'nv16xlab' });
    const out = await serviceWith([lan]).export(names, project);
    expect(out.project).toBe('nv16xlab');
    expect(out.unmanaged).toEqual([{ kind: 'network', name: 'nv16xlan' }]);
    expect(out.text).toContain('project = "nv16xlab"');
    expect(out.text).toContain('[network.nv16xlan]');
    const { config } = parseNovaFile(out.text, 'NovaFile.toml', '/p');
    if (!config) throw new Error('the exported file does not parse');
    expect(planProject(desiredState(config), { networks: [lan], vms: [], capsules: [] }).clashes.map((c) => c.name)).toEqual(['nv16xlan']);
    expect(planProject(desiredState(config), { networks: [{ ...lan, project: 'nv16xlab' }], vms: [], capsules: [] }).changes).toEqual([]);
  });

  it('exports every resource of a project when no name is given, and refuses what it cannot', async () => {
    const owned = { ...lan, project: 'nv16xlab' };
    const out = await serviceWith([owned]).export(parse({ project: 'nv16xlab' }).names, 'nv16xlab');
    expect(out.unmanaged).toEqual([]);
    expect(out.text).toContain('[network.nv16xlan]');
    await expect(serviceWith([lan]).export(['nv16xlan'], undefined)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(serviceWith([]).export([], 'nv16xnone')).rejects.toMatchObject({ code: 'not_found' });
    expect(() => parse({ names: [''] })).toThrow();
  });
});

describe('project.save with create', () => {
  it('writes the exported file once into a folder, and never over an existing one', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'nv16x-export-'));
    try {
      const s = serviceWith([lan]);
      const { text } = await s.export(['nv16xlan'], 'nv16xlab');
      const saved = await s.save(dir, text, true);
      expect(saved).toMatchObject({ saved: true, file: path.join(dir, 'NovaFile.toml') });
      expect(await readFile(saved.file, 'utf8')).toBe(text);
      await expect(s.save(dir, 'project = "other"\n', true)).rejects.toMatchObject({ code: 'already_exists' });
      expect(await readFile(saved.file, 'utf8')).toBe(text);
      expect(await s.save(path.join(dir, 'bad.toml'), 'project = 1\n', true)).toMatchObject({ saved: false });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
