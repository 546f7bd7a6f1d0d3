// The apply engine against a fake helper that keeps guests in memory: creates in
// dependency order, a dependent waiting for health, a failure that stops only its
// dependents, SERVICE selection, blocked items refused unless partial, and a cancel.
import { describe, expect, it } from 'vitest';
import { NovaError } from '../../../src-shared/errors.js';
import type { ProjectPlan } from '../../../src-shared/project.js';
import { parseNovaFile } from '../novafile/novafile-parser.js';
import type { ActualState } from './actual-state.js';
import { dependencyOrder, guestNodes, selectGuests } from './apply-order.js';
import { desiredState, type DesiredState } from './desired-state.js';
import { applyPlan, type ApplyOptions } from './project-apply.js';
import type { ProjectHelper } from './project-helper.js';
import { planProject } from './project-plan.js';
import { appliedState } from './testing/applied-state.js';

const FILE = `project = "lab"

[network.lan]

[capsule.db]
capsule = "alpine:3.20"
network = "lan"
[capsule.db.health]
exec = ["true"]
interval = "1s"
retries = 1

[capsule.web]
capsule = "alpine:3.20"
network = "lan"
depends_on.db = { condition = "healthy" }

[capsule.worker]
capsule = "alpine:3.20"
depends_on = ["web"]

[capsule.lone]
capsule = "alpine:3.20"
`;

function desired(text = FILE): DesiredState {
  const { config, diagnostics } = parseNovaFile(text, 'NovaFile.toml', '/p');
  if (!config) throw new Error(JSON.stringify(diagnostics));
  return desiredState(config);
}

const EMPTY: ActualState = { networks: [], vms: [], capsules: [] };

/** Records calls in order; a capsule turns healthy on its `healthyAfter`-th get after starting. */
class FakeHelper implements ProjectHelper {
  readonly log: string[] = [];
  readonly started = new Map<string, number>();
  private readonly gets = new Map<string, number>();
  constructor(private readonly o: { failStart?: string; healthyAfter?: number; never?: string; onCall?: (line: string) => void } = {}) {}

  call = (async (method: string, params: { name?: string }) => {
    if (method === 'ociImage.inspect') return {};
    if (method === 'capsule.update') {
      this.log.push(`capsule.update ${params.name ?? ''}`);
      return {};
    }
    if (method === 'vm.update') {
      this.log.push(`vm.update ${params.name ?? ''} ${Object.keys(params).filter((k) => k !== 'name').join(',')}`);
      return {};
    }
    if (method === 'capsule.get') {
      const name = params.name ?? '';
      const n = (this.gets.get(name) ?? 0) + 1;
      this.gets.set(name, n);
      const healthy = name !== this.o.never && n >= (this.o.healthyAfter ?? 2);
      return { state: 'running', lastExit: null, health: { status: healthy ? 'healthy' : 'starting' } };
    }
    throw new Error(`unexpected ${method}`);
  }) as ProjectHelper['call'];

  operation = (async (method: string, params: { name?: string }) => {
    const line = `${method} ${params.name ?? ''}`;
    this.log.push(line);
    this.o.onCall?.(line);
    if (method === 'capsule.start') {
      if (params.name === this.o.failStart) throw new NovaError('internal', `runc could not start ${params.name}`);
      this.started.set(params.name ?? '', this.log.length);
    }
    return {};
  }) as ProjectHelper['operation'];
}

const opts = (over: Partial<ApplyOptions> = {}): ApplyOptions => ({ signal: new AbortController().signal, onLine: () => undefined, waitPollMs: 1, ...over });

describe('apply order', () => {
  it('puts every guest after what it depends on, and selects services with their dependencies', () => {
    const nodes = guestNodes(desired());
    expect(dependencyOrder(nodes)).toEqual(['db', 'lone', 'web', 'worker']);
    expect([...selectGuests(nodes, ['worker'])].sort()).toEqual(['db', 'web', 'worker']);
    expect(() => selectGuests(nodes, ['nope'])).toThrow(/no VM or capsule named nope/);
  });
});

describe('applyPlan', () => {
  it('creates the network first, then each guest only after its dependency is applied and healthy', async () => {
    const d = desired();
    const h = new FakeHelper({ healthyAfter: 3 });
    const out = await applyPlan(planProject(d, EMPTY), d, EMPTY, h, opts());
    expect(out.failed).toEqual([]);
    expect(h.log[0]).toBe('network.create lan');
    expect(h.started.get('db')!).toBeLessThan(h.log.indexOf('capsule.create web'));
    expect(h.log.indexOf('capsule.start web')).toBeLessThan(h.log.indexOf('capsule.create worker'));
    expect(out.applied.map((a) => `${a.kind} ${a.name}`).sort()).toEqual(['capsule db', 'capsule lone', 'capsule web', 'capsule worker', 'network lan']);
  });

  it('stops only the dependents of a failed guest, naming the failed dependency', async () => {
    const d = desired();
    const h = new FakeHelper({ failStart: 'db' });
    const out = await applyPlan(planProject(d, EMPTY), d, EMPTY, h, opts());
    expect(out.failed).toEqual([{ kind: 'capsule', name: 'db', message: 'runc could not start db' }]);
    expect(out.notApplied).toEqual([
      { kind: 'capsule', name: 'web', reason: 'not started: it depends on capsule db, which failed' },
      { kind: 'capsule', name: 'worker', reason: 'not started: it depends on capsule web, which was not applied' },
    ]);
    expect(h.started.has('lone')).toBe(true);
  });

  it('hands snapshot policies over once guests are applied, skipping failed and held-back ones', async () => {
    const d = desired();
    const h = new FakeHelper({ failStart: 'db' });
    let skipped: string[] = [];
    const lines: string[] = [];
    await applyPlan(planProject(d, EMPTY), d, EMPTY, h, opts({
      applySnapshotPolicies: (skip) => {
        skipped = [...skip].sort();
        return Promise.resolve(['capsule lone: snapshot policy set']);
      },
      onLine: (subject, line) => lines.push(`${subject}: ${line}`),
    }));
    expect(skipped).toEqual(['capsule db', 'capsule web', 'capsule worker']);
    expect(lines).toContain('snapshots: capsule lone: snapshot policy set');
  });

  it('names the timeout of a health check that never passes', async () => {
    const d = desired(FILE.replace('interval = "1s"', 'interval = "1s"\ntimeout = "1s"\nstart_period = "0s"').replace('retries = 1', 'retries = 1'));
    const h = new FakeHelper({ never: 'db' });
    const out = await applyPlan(planProject(d, EMPTY), d, EMPTY, h, opts({ waitPollMs: 50 }));
    expect(out.failed[0]?.name).toBe('web');
    expect(out.failed[0]?.message).toMatch(/^not started: capsule db was not healthy within 4 s, the health check's budget/);
    expect(h.log).not.toContain('capsule.create web');
  }, 10_000);

  it('applies only the named service and what it depends on, deleting nothing', async () => {
    const d = desired();
    const h = new FakeHelper();
    const out = await applyPlan(planProject(d, EMPTY), d, EMPTY, h, opts({ services: ['web'] }));
    expect(out.applied.map((a) => a.name).sort()).toEqual(['db', 'lan', 'web']);
  });

  it('refuses a plan with blocked items unless partial, then applies the rest', async () => {
    const d = desired();
    const plan: ProjectPlan = { ...planProject(d, EMPTY), blocked: [{ kind: 'capsule', name: 'lone', key: 'capsule.lone.capsule', reason: 'no image', remedy: 'pull it' }] };
    await expect(applyPlan(plan, d, EMPTY, new FakeHelper(), opts())).rejects.toThrow(/nothing applied: capsule lone is blocked .*nova up --partial/);
    const h = new FakeHelper();
    const out = await applyPlan(plan, d, EMPTY, h, opts({ partial: true }));
    expect(h.log).not.toContain('capsule.create lone');
    expect(out.notApplied).toEqual([{ kind: 'capsule', name: 'lone', reason: 'blocked: no image (capsule.lone.capsule); to fix: pull it' }]);
  });

  it('swaps only the health check of a running capsule, stopping nothing', async () => {
    const d = desired();
    const plan: ProjectPlan = {
      ...planProject(d, EMPTY),
      changes: [{ kind: 'capsule', name: 'lone', class: 'update', fields: [{ field: 'health', old: null, new: 'exec true every 1s', class: 'update', drift: false }] }],
    };
    const lone = { name: 'lone', state: 'running' } as ActualState['capsules'][number];
    const h = new FakeHelper();
    const out = await applyPlan(plan, d, { ...EMPTY, capsules: [lone] }, h, opts({ services: ['lone'] }));
    expect(out.applied).toEqual([{ kind: 'capsule', name: 'lone', class: 'update' }]);
    expect(h.log).toEqual(['capsule.update lone']);
  });

  it("sets a new VM's shares, autostart and restart policy before its first start, and changes autostart of a running one in place", async () => {
    const file = 'project = "lab"\n[vm.app]\nkernel = "/boot/vmlinux"\naccel = "tcg"\ndisplay = "none"\nshares = ["./src:/mnt/src"]\nautostart = true\nrestart = "always"\n';
    const d = desired(file);
    const h = new FakeHelper();
    const out = await applyPlan(planProject(d, EMPTY), d, EMPTY, h, opts());
    expect(out.failed).toEqual([]);
    expect(h.log).toEqual(['vm.create app', 'vm.update app shares,autostart,restart', 'vm.start app']);

    // Applied before, but autostart was turned off by hand since.
    const actual = appliedState(d);
    const { autostart: _, ...rest } = actual.vms[0]!.definition;
    actual.vms[0] = { ...actual.vms[0]!, definition: rest };
    const plan = planProject(d, actual);
    expect(plan.changes.map((c) => `${c.class} ${c.fields.map((f) => f.field).join(',')}`)).toEqual(['update autostart']);
    const again = new FakeHelper();
    const second = await applyPlan(plan, d, actual, again, opts());
    expect(second.failed).toEqual([]);
    expect(again.log).toEqual(['vm.update app autostart']);
  });

  it('snapshots a guest before restarting it when [snapshots] before_up is set', async () => {
    const d = desired(FILE.replace('project = "lab"\n', 'project = "lab"\n\n[snapshots]\nbefore_up = true\n'));
    const plan: ProjectPlan = {
      ...planProject(d, EMPTY),
      changes: [{ kind: 'capsule', name: 'lone', class: 'restart', fields: [{ field: 'memory', old: '64 MiB', new: '96 MiB', class: 'restart', drift: false }] }],
    };
    const lone = { name: 'lone', state: 'running' } as ActualState['capsules'][number];
    const h = new FakeHelper();
    await applyPlan(plan, d, { ...EMPTY, capsules: [lone] }, h, opts({ services: ['lone'] }));
    expect(h.log).toEqual(['capsule.snapshotCreate lone', 'capsule.stop lone', 'capsule.update lone', 'capsule.start lone']);
  });

  it('starts nothing new once cancelled, and says so', async () => {
    const d = desired();
    const ac = new AbortController();
    const h = new FakeHelper({ onCall: (line) => line === 'capsule.start db' && ac.abort() });
    const out = await applyPlan(planProject(d, EMPTY), d, EMPTY, h, opts({ signal: ac.signal, parallel: 1 }));
    expect(out.cancelled).toBe(true);
    expect(h.log).not.toContain('capsule.create web');
    expect(out.notApplied.some((n) => n.name === 'web' && n.reason === 'cancelled')).toBe(true);
  });
});
