import { describe, expect, it } from 'vitest';
import { actionSlots } from './action-slots.js';
import { capsuleActionsFor } from './capsule-format.js';
import { actionsFor } from './vm-format.js';

const VM_ROW = [['start', 'resume'], ['stop'], ['pause']] as const;

describe('actionSlots', () => {
  it('gives every VM state the same slots, each action always in its own place', () => {
    const states = ['stopped', 'running', 'paused', 'starting'] as const;
    const rows = states.map((s) => actionSlots(VM_ROW, actionsFor(s)));
    for (const row of rows) expect(row.map((r) => r.slot)).toEqual(['start', 'stop', 'pause']);
    expect(rows[0]!.map((r) => r.action)).toEqual(['start', null, null]);
    expect(rows[1]!.map((r) => r.action)).toEqual([null, 'stop', 'pause']);
    expect(rows[2]!.map((r) => r.action)).toEqual(['resume', null, null]);
  });

  it('places a capsule’s stop in the same slot running or paused', () => {
    const slots = [['start', 'resume'], ['stop'], ['restart'], ['pause']] as const;
    expect(actionSlots(slots, capsuleActionsFor('running')).map((r) => r.action)).toEqual([null, 'stop', 'restart', 'pause']);
    expect(actionSlots(slots, capsuleActionsFor('paused')).map((r) => r.action)).toEqual(['resume', 'stop', null, null]);
  });
});
