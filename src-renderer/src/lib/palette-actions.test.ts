import { describe, expect, it } from 'vitest';
import { filterActions, paletteActions, paletteMethod } from './palette-actions.js';

const input = {
  vms: [
    { name: 'web1', state: 'running' as const },
    { name: 'db', state: 'stopped' as const },
    { name: 'golden', state: 'stopped' as const, template: true },
  ],
  capsules: [
    { name: 'cache', state: 'stopped' as const },
    { name: 'api', state: 'running' as const },
  ],
  projects: [{ path: '/home/me/lab/NovaFile.toml', project: 'lab' }],
};

describe('command palette actions', () => {
  it('names every page, create action, guest action and project action', () => {
    const labels = paletteActions(input).map((a) => a.label);
    expect(labels).toEqual(
      expect.arrayContaining([
        'Go to Dashboard',
        'Go to Virtual machines',
        'Create a virtual machine',
        'Create a capsule',
        'Create a network',
        'Stop VM web1',
        'Start VM db',
        'Open console of VM web1',
        'Start capsule cache',
        'Stop capsule api',
        'Open terminal of capsule api',
        'Up project lab',
        'Down project lab',
      ]),
    );
    // A running guest offers stop, not start; a stopped one no console; every page is built now, Devices included.
    expect(labels).not.toContain('Start VM web1');
    expect(labels).not.toContain('Open console of VM db');
    expect(labels).not.toContain('Open terminal of capsule cache');
    expect(labels).toContain('Go to Devices');
    // A template is copied from, never started: the engine refuses, so the palette does not offer it.
    expect(labels).not.toContain('Start VM golden');
    expect(labels).toContain('New VM from template golden');
  });

  it('carries each action out as data: a call, a console, a project run or a link', () => {
    const byLabel = (l: string) => paletteActions(input).find((a) => a.label === l)?.effect;
    expect(byLabel('Start VM db')).toEqual({ kind: 'call', method: 'vm.start', name: 'db' });
    expect(byLabel('Open console of VM web1')).toEqual({ kind: 'vm-console', name: 'web1' });
    expect(byLabel('Up project lab')).toEqual({ kind: 'project', action: 'up', path: '/home/me/lab/NovaFile.toml' });
    expect(byLabel('Create a virtual machine')).toEqual({ kind: 'navigate', href: '#/vms/new' });
    // A VM moves from its page's Move dialog, which the link opens: live when it runs, cold when it is stopped.
    expect(byLabel('Move VM web1 to another host')).toEqual({ kind: 'navigate', href: '#/vms/web1?move' });
    expect(byLabel('Move VM db to another host')).toEqual({ kind: 'navigate', href: '#/vms/db?move' });
  });

  it('names the helper method each action calls, for its data-method; none for a page change', () => {
    const methodOf = (l: string) => {
      const a = paletteActions(input).find((x) => x.label === l);
      return a && paletteMethod(a.effect);
    };
    expect(methodOf('Start VM db')).toBe('vm.start');
    expect(methodOf('Stop VM web1')).toBe('vm.stop');
    expect(methodOf('Open console of VM web1')).toBe('vm.consoleInfo');
    expect(methodOf('Up project lab')).toBe('project.up');
    expect(methodOf('Create a virtual machine')).toBeUndefined();
  });

  it('filters as typed: word starts first, then substrings, nothing for no match', () => {
    const all = paletteActions(input);
    // Word starts first ("Stop"), then substrings (the "st" of "host").
    expect(filterActions(all, 'st web').map((a) => a.label)).toEqual(['Stop VM web1', 'Move VM web1 to another host']);
    expect(filterActions(all, 'console').map((a) => a.label)).toEqual(['Open console of VM web1']);
    expect(filterActions(all, 'ACHE')[0]?.label).toBe('Start capsule cache');
    expect(filterActions(all, 'zzz')).toEqual([]);
    expect(filterActions(all, '  ')).toHaveLength(all.length);
  });
});
