import { describe, expect, it } from 'vitest';
import type { ProjectPlan } from '../../../src-shared/index.js';
import { fieldDiffText, groupPlan, healthTone, latestLines, planSummary } from './project-plan-view.js';

const plan = (over: Partial<ProjectPlan> = {}): ProjectPlan => ({ project: 'lab', file: '/p/NovaFile.toml', changes: [], clashes: [], blocked: [], unchanged: [], ...over });

describe('groupPlan', () => {
  it('groups by class in order of disruption, deletes last, and skips empty classes', () => {
    const p = plan({
      changes: [
        { kind: 'capsule', name: 'old', class: 'delete', fields: [] },
        { kind: 'capsule', name: 'web', class: 'restart', fields: [{ field: 'memory', old: '64 MiB', new: '96 MiB', class: 'restart', drift: false }] },
        { kind: 'network', name: 'net', class: 'create', fields: [] },
        { kind: 'capsule', name: 'db', class: 'create', fields: [] },
      ],
    });
    expect(groupPlan(p).map((g) => [g.label, g.changes.map((c) => c.name)])).toEqual([
      ['create', ['net', 'db']],
      ['update with restart', ['web']],
      ['delete', ['old']],
    ]);
  });
});

describe('fieldDiffText and planSummary', () => {
  it('reads old -> new, naming an unset side', () => {
    expect(fieldDiffText({ field: 'memory', old: '64 MiB', new: '96 MiB', class: 'restart', drift: false })).toBe('64 MiB -> 96 MiB');
    expect(fieldDiffText({ field: 'ports', old: null, new: '8080->80/tcp', class: 'restart', drift: true })).toBe('(none) -> 8080->80/tcp');
  });

  it('counts each class, clashes and blocked items', () => {
    expect(planSummary(plan())).toBe('No changes: what runs matches the file');
    const p = plan({
      changes: [
        { kind: 'capsule', name: 'a', class: 'create', fields: [] },
        { kind: 'capsule', name: 'b', class: 'create', fields: [] },
      ],
      clashes: [{ kind: 'vm', name: 'x', owner: null, message: 'm' }],
    });
    expect(planSummary(p)).toBe('2 to create, 1 clash');
  });
});

describe('healthTone and latestLines', () => {
  it('maps health to a badge tone', () => {
    expect(['healthy', 'starting', 'unhealthy', null].map(healthTone)).toEqual(['ok', 'warn', 'fail', 'none']);
  });

  it('keeps the last line per resource in first-heard order', () => {
    expect(latestLines([{ subject: 'network n', line: 'creating' }, { subject: 'capsule db', line: 'creating' }, { subject: 'network n', line: 'created' }])).toEqual([
      { subject: 'network n', line: 'created' },
      { subject: 'capsule db', line: 'creating' },
    ]);
  });
});
