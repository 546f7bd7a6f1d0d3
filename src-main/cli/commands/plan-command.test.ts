// `nova plan`: finds the NovaFile upwards as git does, prints the plan grouped (plain when
// not on a terminal) or as JSON, lists what the host lacks as blocked with a remedy, and
// with --exit-code says 3 when something is pending and 0 when nothing is.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProjectPlanSchema } from '../../../src-shared/project.js';
import type { HelperClient } from '../../core/helper-client.js';
import { findNovaFile } from '../../core/project/project-discovery.js';
import { runCli } from '../cli-program.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nv9p-plan-'));
  await mkdir(join(dir, 'lab', 'sub', 'deeper'), { recursive: true });
  await writeFile(join(dir, 'lab', 'NovaFile.toml'), 'project = "lab"\n\n[network.lan]\nsubnet = "10.77.0.1/24"\n');
  await writeFile(
    join(dir, 'lacking.toml'),
    'project = "lab"\n\n[vm.win]\nimage = "./missing.qcow2"\ngpu_passthrough = true\n\n[network.mesh]\ntype = "overlay"\ndriver = "quic"\n',
  );
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

const lan = {
  name: 'lan', type: 'bridge', profile: 'nat', bridge: 'lan', subnet: '10.77.0.0/24', gateway: '10.77.0.1', dhcpRange: null, uplinks: [], dns: true,
  domain: 'lan.nova', driver: null, vni: null, peers: [], egressAllow: null, forwards: [], attachments: [], status: { state: 'active', reasons: [] },
  createdAt: 'T', project: 'lab',
};

async function plan(argv: string[], networks: unknown[] = []) {
  let stdout = '';
  let stderr = '';
  const helper = {
    call: async (method: string) => {
      if (method === 'network.list') return { networks };
      if (method === 'vm.list') return { vms: [], broken: [] };
      if (method === 'capsule.list') return { capsules: [] };
      if (method === 'host.check') return { accelerator: 'tcg', items: [{ id: 'iommu', status: 'fail', summary: 'no IOMMU groups', remedy: 'enable VT-d' }] };
      throw new Error(`unexpected ${method}`);
    },
    close: () => undefined,
  };
  const code = await runCli(['plan', ...argv], { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) }, { connectHelper: async () => helper as unknown as HelperClient });
  return { code, stdout, stderr };
}

describe('nova plan', () => {
  it('finds NovaFile.toml in the nearest folder above, and says where none is', async () => {
    expect(await findNovaFile(join(dir, 'lab', 'sub', 'deeper'))).toBe(join(dir, 'lab', 'NovaFile.toml'));
    expect(await findNovaFile(dir, 'lacking.toml')).toBe(join(dir, 'lacking.toml'));
    await expect(findNovaFile(join(dir))).rejects.toMatchObject({ code: 'not_found', message: expect.stringMatching(/no NovaFile.toml in .* or any folder above it/) });
  });

  it('prints pending creates plainly and exits 3 with --exit-code; 0 once they exist', async () => {
    const pending = await plan(['-f', join(dir, 'lab'), '--exit-code']);
    expect(pending.code).toBe(3);
    expect(pending.stdout).toContain('create (1):\n  + network lan\n');
    expect(pending.stdout).toContain('Plan: 1 to create; 0 unchanged.');
    expect(pending.stdout).not.toContain('\x1b[');
    const clean = await plan(['-f', join(dir, 'lab', 'NovaFile.toml'), '--exit-code'], [lan]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain('No changes: the 1 resource(s) of project lab match the file.');
    expect((await plan(['-f', join(dir, 'lab')])).code).toBe(0);
  });

  it('prints the plan as JSON in the contract shape', async () => {
    const out = await plan(['-f', join(dir, 'lab'), '--json'], [{ ...lan, forwards: [{ hostPort: 80, guestAddress: '10.77.0.5', guestPort: 80, protocol: 'tcp' }] }]);
    const parsed = ProjectPlanSchema.parse(JSON.parse(out.stdout));
    expect(parsed.changes).toEqual([
      { kind: 'network', name: 'lan', class: 'update', fields: [{ field: 'forwards', old: '80/tcp -> 10.77.0.5:80', new: null, class: 'update', drift: false }] },
    ]);
  });

  it('lists what the host lacks as blocked, with the reason and the remedy', async () => {
    const out = await plan(['-f', join(dir, 'lacking.toml'), '--exit-code']);
    expect(out.code).toBe(3);
    expect(out.stdout).toContain('blocked (3), this host lacks what they need:');
    expect(out.stdout).toContain('! network mesh (network.mesh.driver): Nova has no overlay engine for driver "quic" (it provides vxlan and wireguard)');
    expect(out.stdout).toContain('! vm win (vm.win.gpu_passthrough): GPU passthrough needs an IOMMU: no IOMMU groups\n      to fix: enable VT-d');
    expect(out.stdout).toMatch(/! vm win \(vm\.win\.image\): the disk image .*missing\.qcow2 does not exist/);
  });

  it("plans the product's own example on a host that lacks what it asks for: four creates, each lack blocked", async () => {
    const out = await plan(['--json', '-f', join(import.meta.dirname, '../../../examples/dev-lab')]);
    const parsed = ProjectPlanSchema.parse(JSON.parse(out.stdout));
    expect(parsed.changes.map((c) => `${c.class} ${c.kind} ${c.name}`)).toEqual(['create network bridge0', 'create network nova-net', 'create vm win11', 'create capsule api']);
    expect(parsed.blocked.map((b) => b.key)).toEqual(['network.nova-net.driver', 'vm.win11.gpu_passthrough', 'vm.win11.image']);
  });

  it('plans on the host --host names, given before or after the command, reading this machine too', async () => {
    for (const argv of [['--host', 'ssh://root@10.217.8.2:2248', 'plan'], ['plan', '--host', 'ssh://root@10.217.8.2:2248']]) {
      const asked: string[] = [];
      let stdout = '';
      const helper = { call: async (method: string) => (method === 'network.list' ? { networks: [] } : method === 'vm.list' ? { vms: [] } : { capsules: [] }), close: () => undefined };
      const code = await runCli([...argv, '--json', '-f', join(dir, 'lab')], { stdout: (t) => (stdout += t), stderr: () => undefined }, {
        connectHelper: async () => helper as unknown as HelperClient,
        connectHost: async (host) => {
          asked.push(host);
          return helper as unknown as HelperClient;
        },
      });
      expect(code).toBe(0);
      expect(asked.sort()).toEqual(['local', 'ssh://root@10.217.8.2:2248']);
      const parsed = ProjectPlanSchema.parse(JSON.parse(stdout));
      expect(parsed.changes).toEqual([{ kind: 'network', name: 'lan', class: 'create', fields: [], host: 'ssh://root@10.217.8.2:2248' }]);
    }
  });

  it('refuses a file with errors, naming the line, with exit 1', async () => {
    await writeFile(join(dir, 'bad.toml'), 'project = "lab"\n[capsule.a]\ncapsule = "alpine"\ndepends_on = ["nope"]\n');
    const out = await plan(['-f', join(dir, 'bad.toml')]);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/bad\.toml:4:15: error: capsule\.a\.depends_on\[0\]: depends_on names "nope"/);
  });
});
