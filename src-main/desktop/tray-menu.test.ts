import { describe, expect, it } from 'vitest';
import { QUIT_LABEL, TRAY_GUESTS_PER_KIND, trayMenu, type TrayMenuItem, type TrayState } from './tray-menu.js';

/** What a user reads, one line per item, submenus indented: the shape a reviewer can check by eye. */
function outline(items: readonly TrayMenuItem[], indent = ''): string[] {
  return items.flatMap((item) => {
    switch (item.type) {
      case 'separator':
        return [`${indent}---`];
      case 'label':
        return [`${indent}(${item.label})`];
      case 'action':
        return [`${indent}${item.label}`];
      case 'submenu':
        return [`${indent}${item.label} >`, ...outline(item.items, indent + '  ')];
    }
  });
}

function actionsOf(items: readonly TrayMenuItem[]): string[] {
  return items.flatMap((item) => {
    if (item.type === 'action') return [JSON.stringify(item.action)];
    if (item.type === 'submenu') return actionsOf(item.items);
    return [];
  });
}

describe('trayMenu', () => {
  it('offers "show Nova" and a quit that says guests keep running, even with nothing else', () => {
    expect(outline(trayMenu({ vms: [], capsules: [] }))).toEqual([
      'Show Nova',
      '---',
      '(No VMs or capsules yet)',
      '---',
      QUIT_LABEL,
    ]);
    expect(QUIT_LABEL).toMatch(/keep running/);
  });

  it('lists running guests first with stop and console, stopped ones with start', () => {
    const state: TrayState = {
      vms: [
        { name: 'alpha', state: 'stopped' },
        { name: 'web', state: 'running' },
        { name: 'broke', state: 'crashed' },
        { name: 'db', state: 'paused' },
      ],
      capsules: [
        { name: 'redis', state: 'running' },
        { name: 'cache', state: 'created' },
        { name: 'old', state: 'stopped' },
      ],
    };
    expect(outline(trayMenu(state))).toEqual([
      'Show Nova',
      '---',
      '(Virtual machines)',
      'db — paused >',
      '  Open console',
      '  Stop',
      'web — running >',
      '  Open console',
      '  Stop',
      'alpha — stopped >',
      '  Start',
      'broke — crashed >',
      '  Start',
      '---',
      '(Capsules)',
      'redis — running >',
      '  Stop',
      'cache — created >',
      '  Start',
      'old — stopped >',
      '  Start',
      '---',
      QUIT_LABEL,
    ]);
    expect(actionsOf(trayMenu(state))).toContain(JSON.stringify({ kind: 'vm.openConsole', name: 'web' }));
    expect(actionsOf(trayMenu(state))).toContain(JSON.stringify({ kind: 'capsule.start', name: 'cache' }));
  });

  it('offers no start or stop while an operation holds the guest', () => {
    const menu = trayMenu({
      vms: [{ name: 'web', state: 'starting' }, { name: 'db', state: 'stopping' }],
      capsules: [{ name: 'redis', state: 'restarting' }],
    });
    expect(outline(menu)).toContain('(web — starting…)');
    expect(outline(menu)).toContain('(db — stopping…)');
    expect(outline(menu)).toContain('(redis — restarting…)');
    expect(actionsOf(menu)).toEqual([JSON.stringify({ kind: 'show' }), JSON.stringify({ kind: 'quit' })]);
  });

  it('caps each kind and points to the window for the rest', () => {
    const vms = Array.from({ length: TRAY_GUESTS_PER_KIND + 3 }, (_, i) => ({ name: `vm${String(i).padStart(2, '0')}`, state: 'stopped' as const }));
    const running = { name: 'zz-last-but-running', state: 'running' as const };
    const lines = outline(trayMenu({ vms: [...vms, running], capsules: [] }));
    expect(lines.filter((l) => / — /.test(l) && !l.startsWith(' '))).toHaveLength(TRAY_GUESTS_PER_KIND);
    // The running one sorts first although its name sorts last.
    expect(lines[3]).toBe('zz-last-but-running — running >');
    expect(lines).toContain(`${vms.length + 1 - TRAY_GUESTS_PER_KIND} more in Nova…`);
  });

  it('lists projects with up or down once main knows them', () => {
    const menu = trayMenu({ vms: [], capsules: [], projects: [{ name: 'lab', up: true }, { name: 'demo', up: false }] });
    expect(outline(menu)).toEqual([
      'Show Nova',
      '---',
      '(No VMs or capsules yet)',
      '---',
      '(Projects)',
      'demo — down >',
      '  Up',
      'lab — up >',
      '  Down',
      '---',
      QUIT_LABEL,
    ]);
  });
});
