// The planner against actual states built as the helper would report them after an up
// of the same file: no change; then each kind of drift, file edit, clash and removal,
// with the class the change table gives it.
import { describe, expect, it } from 'vitest';
import { parseNovaFile } from '../novafile/novafile-parser.js';
import { FIELD_CLASSES, fieldClass } from './change-classes.js';
import { desiredState, type DesiredState } from './desired-state.js';
import { planProject } from './project-plan.js';
import { appliedState } from './testing/applied-state.js';

const FILE = `project = "lab"

[network.lan]
subnet = "10.77.0.1/24"
forwards = ["8080:10.77.0.10:80"]

[capsule.db]
capsule = "alpine:3.20"
command = ["sleep", "1000"]
memory = "64Mi"
network = "lan"

[capsule.web]
capsule = "alpine:3.20"
network = "lan"
ports = ["8081:80"]
depends_on = ["db"]

[vm.app]
kernel = "/boot/vmlinux"
initrd = "/boot/initrd"
cmdline = "console=ttyS0"
memory = "256Mi"
accel = "tcg"
display = "none"
`;

function desired(text = FILE): DesiredState {
  const { config, diagnostics } = parseNovaFile(text, 'NovaFile.toml', '/p');
  if (!config) throw new Error(JSON.stringify(diagnostics));
  return desiredState(config);
}

describe('planProject', () => {
  it('creates everything on an empty host, networks first', () => {
    const plan = planProject(desired(), { networks: [], vms: [], capsules: [] });
    expect(plan.changes.map((c) => `${c.class} ${c.kind} ${c.name}`)).toEqual(['create network lan', 'create vm app', 'create capsule db', 'create capsule web']);
  });

  it('finds nothing to do right after an apply, whatever the engine chose (MACs, leases, pids, addresses)', () => {
    const d = desired();
    const plan = planProject(d, appliedState(d));
    expect(plan.changes).toEqual([]);
    expect(plan.clashes).toEqual([]);
    expect(plan.unchanged).toHaveLength(4);
  });

  it('starts a capsule stopped by hand and a crashed VM, in place, as drift', () => {
    const d = desired();
    const actual = appliedState(d);
    actual.capsules[0] = { ...actual.capsules[0]!, state: 'stopped', pid: null };
    actual.vms[0] = { ...actual.vms[0]!, state: 'crashed', pid: null };
    const plan = planProject(d, actual);
    expect(plan.changes).toEqual([
      { kind: 'vm', name: 'app', class: 'update', fields: [{ field: 'state', old: 'crashed', new: 'running', class: 'update', drift: true }] },
      { kind: 'capsule', name: 'db', class: 'update', fields: [{ field: 'state', old: 'stopped', new: 'running', class: 'update', drift: true }] },
    ]);
  });

  it("restarts only the capsule whose memory the file changed, and a running VM whose CPUs changed; a stopped one is updated in place", () => {
    const d = desired();
    const actual = appliedState(d);
    const edited = desired(FILE.replace('memory = "64Mi"', 'memory = "128Mi"').replace('memory = "256Mi"', 'memory = "256Mi"\ncpu = 2'));
    const plan = planProject(edited, actual);
    expect(plan.changes).toEqual([
      { kind: 'vm', name: 'app', class: 'restart', fields: [{ field: 'cpus', old: '1', new: '2', class: 'restart', drift: false }] },
      { kind: 'capsule', name: 'db', class: 'restart', fields: [{ field: 'memory', old: '64 MiB', new: '128 MiB', class: 'restart', drift: false }] },
    ]);
    actual.vms[0] = { ...actual.vms[0]!, state: 'stopped' };
    const vm = planProject(edited, actual).changes.find((c) => c.kind === 'vm');
    expect(vm?.class).toBe('update');
    expect(vm?.fields.map((f) => `${f.field}:${f.class}`)).toEqual(['state:update', 'cpus:update']);
  });

  it('changes a health check in place, on running guests too: the helper swaps their monitors', () => {
    const d = desired();
    const edited = desired(`${FILE}\n[capsule.db.health]\nexec = ["pg_isready"]\ninterval = "2s"\n\n[vm.app.health]\nserial = "login:"\nretries = 1\n`);
    const plan = planProject(edited, appliedState(d));
    expect(plan.changes).toEqual([
      { kind: 'vm', name: 'app', class: 'update', fields: [{ field: 'health', old: null, new: 'serial /login:/ every 10s, timeout 5s, 1 retry', class: 'update', drift: false }] },
      { kind: 'capsule', name: 'db', class: 'update', fields: [{ field: 'health', old: null, new: 'exec pg_isready every 2s, timeout 5s, 3 retries', class: 'update', drift: false }] },
    ]);
    // Applied, the same file plans nothing.
    expect(planProject(edited, appliedState(edited)).changes).toEqual([]);
  });

  it('replaces what only a new resource can change: a capsule image, a VM kernel, a network subnet', () => {
    const d = desired();
    const edited = desired(FILE.replace('capsule = "alpine:3.20"\ncommand', 'capsule = "alpine:3.21"\ncommand').replace('/boot/vmlinux', '/boot/vmlinux-2'));
    const plan = planProject(edited, appliedState(d));
    expect(plan.changes.map((c) => [c.name, c.class, c.fields.map((f) => f.field)])).toEqual([
      ['app', 'replace', ['kernel']],
      ['db', 'replace', ['image']],
    ]);
    const actual = appliedState(d);
    actual.networks[0] = { ...actual.networks[0]!, subnet: '10.78.0.0/24', gateway: '10.78.0.1' };
    expect(planProject(d, actual).changes).toEqual([
      { kind: 'network', name: 'lan', class: 'replace', fields: [{ field: 'subnet', old: '10.78.0.1/24', new: '10.77.0.1/24', class: 'replace', drift: false }] },
    ]);
  });

  it('puts back a deleted forward in place, and repairs a network whose bridge is gone', () => {
    const d = desired();
    const actual = appliedState(d);
    actual.networks[0] = { ...actual.networks[0]!, forwards: [], status: { state: 'down', reasons: ['bridge lan is missing'] } };
    expect(planProject(d, actual).changes).toEqual([
      {
        kind: 'network', name: 'lan', class: 'update', fields: [
          { field: 'status', old: 'down: bridge lan is missing', new: 'active', class: 'update', drift: true },
          { field: 'forwards', old: null, new: '8080/tcp -> 10.77.0.10:80', class: 'update', drift: false },
        ],
      },
    ]);
  });

  it('deletes what the project owns and the file no longer declares, guests before networks, and never touches others', () => {
    const d = desired();
    const actual = appliedState(d);
    const others = appliedState(desired(FILE.replace('project = "lab"', 'project = "other"').replace(/\[capsule.db\]/, '[capsule.db2]').replace('depends_on = ["db"]', '')));
    actual.capsules.push({ ...others.capsules[0]!, name: 'db2' });
    const { project: _p, ...unmanaged } = actual.capsules[1]!.spec;
    actual.capsules.push({ ...actual.capsules[1]!, name: 'loose', spec: { ...unmanaged, name: 'loose' } });
    const smaller = desired(FILE.slice(0, FILE.indexOf('[capsule.web]')) + FILE.slice(FILE.indexOf('[vm.app]')));
    const plan = planProject(smaller, actual);
    expect(plan.changes.map((c) => `${c.class} ${c.kind} ${c.name}`)).toEqual(['delete capsule web']);
    expect(plan.clashes).toEqual([]);
    const vmOnly = desired(`project = "lab"\n${FILE.slice(FILE.indexOf('[vm.app]'))}`);
    expect(planProject(vmOnly, actual).changes.map((c) => `${c.class} ${c.kind} ${c.name}`)).toEqual(['delete capsule db', 'delete capsule web', 'delete network lan']);
  });

  it('reports a clash with an unmanaged resource or another project by name and owner, and plans nothing over it', () => {
    const d = desired();
    const actual = appliedState(d);
    const { project: _p, ...spec } = actual.capsules[0]!.spec;
    actual.capsules[0] = { ...actual.capsules[0]!, spec, state: 'stopped' };
    actual.vms[0] = { ...actual.vms[0]!, definition: { ...actual.vms[0]!.definition, project: 'other', cpus: 8 } };
    const plan = planProject(d, actual);
    expect(plan.changes).toEqual([]);
    expect(plan.clashes).toEqual([
      { kind: 'vm', name: 'app', owner: 'other', message: expect.stringMatching(/^vm app already exists as one of project "other"; project "lab" will not touch it/) },
      { kind: 'capsule', name: 'db', owner: null, message: expect.stringMatching(/^capsule db already exists as an unmanaged one/) },
    ]);
  });

  it('plans 200 resources in well under the budget of a command', () => {
    const many = ['project = "big"', '[network.lan]', 'subnet = "10.80.0.1/16"'];
    for (let i = 0; i < 199; i++) many.push(`[capsule.c${i}]`, 'capsule = "alpine:3.20"', 'network = "lan"', `memory = "${64 + i}Mi"`);
    const d = desired(many.join('\n'));
    const actual = appliedState(d);
    const started = performance.now();
    const plan = planProject(d, actual);
    expect(performance.now() - started).toBeLessThan(200);
    expect(plan.unchanged).toHaveLength(200);
  });
});

describe('the change table', () => {
  it('says what each field costs, and a restart costs nothing more than an update on a stopped guest', () => {
    expect(FIELD_CLASSES).toEqual({
      vm: {
        state: 'update', cpus: 'restart', memory: 'restart', accel: 'restart', cmdline: 'restart', network: 'restart', display: 'restart', cloud_init: 'restart',
        machine: 'replace', firmware: 'replace', tpm: 'replace', hyperv: 'replace', kernel: 'replace', initrd: 'replace', iso: 'replace', health: 'update',
        mac: 'restart', nics: 'restart', disk_bus: 'restart', disk_cache: 'restart', disks: 'restart', cdroms: 'restart', boot_order: 'restart', guest_agent: 'replace',
        devices: 'restart', mdevs: 'restart', looking_glass: 'restart', single_gpu: 'restart',
        shares: 'restart', autostart: 'update', restart: 'update',
      },
      capsule: {
        state: 'update', command: 'restart', env: 'restart', volumes: 'restart', network: 'restart', ports: 'restart', cpus: 'restart', memory: 'restart',
        pids: 'restart', restart: 'restart', workdir: 'restart', user: 'restart', health: 'update', autostart: 'update', image: 'replace',
      },
      network: {
        status: 'update', forwards: 'update', peers: 'update', type: 'replace', profile: 'replace', subnet: 'replace', dhcp_range: 'replace', interfaces: 'replace',
        dns: 'replace', domain: 'replace', driver: 'replace', vni: 'replace', listen_port: 'replace', egress_allow: 'replace',
      },
    });
    expect(fieldClass('vm', 'memory', true)).toBe('restart');
    expect(fieldClass('vm', 'memory', false)).toBe('update');
    expect(fieldClass('capsule', 'image', false)).toBe('replace');
  });
});
