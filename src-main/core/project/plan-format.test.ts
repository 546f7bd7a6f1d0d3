// How `nova plan` prints: grouped by class in apply order, each field old -> new with the
// field's own class when it differs from the change's, colour only on a terminal and
// never alone (the class is always written out).
import { describe, expect, it } from 'vitest';
import type { ProjectPlan } from '../../../src-shared/project.js';
import { formatPlan } from './plan-format.js';

const PLAN: ProjectPlan = {
  project: 'lab',
  file: '/p/NovaFile.toml',
  changes: [
    { kind: 'capsule', name: 'new', class: 'create', fields: [] },
    {
      kind: 'vm', name: 'app', class: 'restart', fields: [
        { field: 'state', old: 'paused', new: 'running', class: 'update', drift: true },
        { field: 'memory', old: '256 MiB', new: '512 MiB', class: 'restart', drift: false },
      ],
    },
    { kind: 'capsule', name: 'old', class: 'delete', fields: [] },
  ],
  clashes: [{ kind: 'network', name: 'lan', owner: null, message: 'network lan already exists as an unmanaged one' }],
  blocked: [],
  unchanged: [{ kind: 'network', name: 'lab' }],
};

describe('formatPlan', () => {
  it('groups changes by class, notes drift and per-field classes, and sums up', () => {
    expect(formatPlan(PLAN, false)).toBe(
      [
        'Project lab (/p/NovaFile.toml)',
        '',
        'create (1):',
        '  + capsule new',
        '',
        'update with restart (1):',
        '  ~ vm app',
        '      state: paused -> running  (update in place, changed outside the file)',
        '      memory: 256 MiB -> 512 MiB',
        '',
        'delete (1):',
        '  - capsule old',
        '',
        'clashes (1), left alone:',
        '  ! network lan already exists as an unmanaged one',
        '',
        'Plan: 1 to create, 1 to update with restart, 1 to delete, 1 clash(es); 1 unchanged.',
        '',
      ].join('\n'),
    );
  });

  it('colours on a terminal, keeping every word', () => {
    const coloured = formatPlan(PLAN, true);
    expect(coloured).toContain('\x1b[32m+ capsule new\x1b[0m');
    expect(coloured).toContain('\x1b[31m- capsule old\x1b[0m');
    const escapes = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
    expect(coloured.replace(escapes, '')).toBe(formatPlan(PLAN, false));
  });
});
