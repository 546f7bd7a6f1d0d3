import { describe, expect, it } from 'vitest';
import type { Network } from '../../../src-shared/network.js';
import { sampleOperation } from '../../../src-shared/testing/sample-operation.js';
import type { VmInfo } from '../../../src-shared/vm.js';
import { cpuSeries, dashboardOperations, guestRows, hostFindings, networkSummaries } from './dashboard-summary.js';
import { sampleCapsule } from './sample-capsule.js';
import { sampleReport } from './sample-report.js';

// Only the fields the dashboard reads; the rest of a VmInfo does not matter here.
const vm = (name: string, state: VmInfo['state'], health: VmInfo['health'] = null) => ({ definition: { name }, state, health }) as unknown as VmInfo;

describe('guestRows', () => {
  it('lists VMs then capsules by name, with state words, liveness, health and their pages', () => {
    const healthy = { status: 'healthy', since: '2026-01-01T00:00:00Z', failingStreak: 0, lastResult: null, lastCheckedAt: null } as const;
    const rows = guestRows([vm('zeta', 'stopped'), vm('alpha', 'running', healthy)], [sampleCapsule('web', { state: 'running' }), sampleCapsule('db', { state: 'stopped' })]);
    expect(rows.map((r) => `${r.kind}:${r.name}`)).toEqual(['vm:alpha', 'vm:zeta', 'capsule:db', 'capsule:web']);
    expect(rows[0]).toMatchObject({ stateText: 'Running', tone: 'ok', live: true, health: healthy, href: '#/vms/alpha' });
    expect(rows[1]).toMatchObject({ live: false, health: null });
    expect(rows[3]?.href).toMatch(/^#\/capsules\/web/);
    expect(rows[3]?.live).toBe(true);
    expect(rows[2]?.live).toBe(false);
  });

  it('is empty for a host with no guests', () => {
    expect(guestRows([], [])).toEqual([]);
  });
});

describe('networkSummaries', () => {
  it('names each network with its guests, linking a tap to its VM and a veth to its capsule', () => {
    const net = (name: string, attachments: Array<{ resource: string; kind: 'tap' | 'veth' }>) =>
      ({ name, subnet: '10.1.0.0/24', status: { state: 'active', reasons: [] }, attachments }) as unknown as Network;
    const [a, b] = networkSummaries([net('zz', []), net('lab', [{ resource: 'web', kind: 'veth' }, { resource: 'box', kind: 'tap' }])]);
    expect(a?.name).toBe('lab');
    expect(a?.href).toBe('#/networks/lab');
    expect(a?.guests).toEqual([
      { name: 'box', kind: 'tap', href: '#/vms/box' },
      { name: 'web', kind: 'veth', href: '#/capsules/web' },
    ]);
    expect(b?.guests).toEqual([]);
  });
});

describe('hostFindings', () => {
  it('gives one line per warning or failure, failures first, and nothing without a report', () => {
    const findings = hostFindings(sampleReport());
    expect(findings.length).toBeGreaterThan(0);
    expect(findings.every((f) => f.status !== ('ok' as string))).toBe(true);
    expect(findings[0]?.status).toBe('fail');
    expect(findings.map((f) => f.id)).toContain('desktop.session');
    expect(findings.every((f) => !f.line.includes('\n'))).toBe(true);
    expect(hostFindings(null)).toEqual([]);
  });
});

describe('dashboardOperations', () => {
  it('keeps every running operation and fills the rest with the newest finished ones', () => {
    const ops = [
      sampleOperation({ id: 'r1', state: 'running', startedAt: '2026-01-01T00:00:01Z', finishedAt: null }),
      sampleOperation({ id: 'f1', state: 'succeeded', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:05Z' }),
      sampleOperation({ id: 'f2', state: 'failed', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:09Z' }),
      sampleOperation({ id: 'f3', state: 'cancelled', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:02Z' }),
    ];
    const byId = Object.fromEntries(ops.map((o) => [o.id, o]));
    expect(dashboardOperations(byId, 3).map((o) => o.id)).toEqual(['r1', 'f2', 'f1']);
    expect(dashboardOperations({}, 3)).toEqual([]);
  });
});

describe('cpuSeries', () => {
  it('takes the CPU of each point, and nothing from a history not read yet', () => {
    expect(cpuSeries([{ cpuPercent: 1 }, { cpuPercent: 50 }])).toEqual([1, 50]);
    expect(cpuSeries(undefined)).toEqual([]);
  });
});
