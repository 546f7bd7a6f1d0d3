// The command palette (Ctrl+K, or the sidebar's Commands button): every action by name,
// filtered as typed, run with the keyboard alone (arrows, Enter, Escape), and focus back
// where it was when it closes. It reads the guests afresh on each opening; the actions
// themselves are data from palette-actions.ts, carried out here.
import { Command } from 'lucide-react';
import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useServices } from '../app/services.js';
import { filterActions, paletteActions, paletteMethod, type PaletteAction, type PaletteEffect, type PaletteInput } from '../lib/palette-actions.js';
import { parseRecent, projectHref, RECENT_PROJECTS_KEY } from '../lib/recent-projects.js';
import { consoleWindowUrl } from '../lib/vm-route.js';
import type { NovaClient } from '../transport/nova-client.js';

export const OPEN_PALETTE_EVENT = 'nova:open-palette';

const EMPTY: PaletteInput = { vms: [], capsules: [], projects: [] };

async function readInput(client: NovaClient): Promise<PaletteInput> {
  const [vms, capsules] = await Promise.all([client.call('vm.list', {}).catch(() => null), client.call('capsule.list', {}).catch(() => null)]);
  return {
    vms: vms?.vms.map((v) => ({ name: v.definition.name, state: v.state, template: v.definition.template })) ?? [],
    capsules: capsules?.capsules.map((c) => ({ name: c.name, state: c.state })) ?? [],
    projects: parseRecent(localStorage.getItem(RECENT_PROJECTS_KEY)),
  };
}

function carryOut(client: NovaClient, effect: PaletteEffect): void {
  switch (effect.kind) {
    case 'navigate':
      window.location.hash = effect.href;
      return;
    case 'vm-console':
      window.open(consoleWindowUrl(effect.name), `nova-console-${effect.name}`, 'popup,width=1040,height=820');
      return;
    case 'call':
      // Start and stop are helper operations: their progress and any failure show in the activity panel.
      void client.call(effect.method, { name: effect.name }).catch(() => undefined);
      return;
    case 'project':
      // The project's page shows the run's lines and outcome as they come.
      window.location.hash = projectHref(effect.path);
      void client.call(effect.action === 'up' ? 'project.up' : 'project.down', { path: effect.path }).catch(() => undefined);
      return;
  }
}

export function CommandPalette() {
  const { client } = useServices();
  const dialog = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const returnTo = useRef<HTMLElement | null>(null);
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState('');
  const [active, setActive] = useState(0);
  const [data, setData] = useState<PaletteInput>(EMPTY);
  const listId = useId();

  const show = useCallback(() => {
    returnTo.current = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    setQuery('');
    setActive(0);
    setOpen(true);
    void readInput(client).then(setData);
  }, [client]);

  const close = useCallback(() => {
    setOpen(false);
    // After the dialog is gone, so the page is no longer inert.
    queueMicrotask(() => returnTo.current?.focus());
  }, []);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 'k') {
        e.preventDefault();
        if (!dialog.current?.open) show();
      }
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener(OPEN_PALETTE_EVENT, show);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener(OPEN_PALETTE_EVENT, show);
    };
  }, [show]);

  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      input.current?.focus();
    }
    if (!open && d.open) d.close();
  }, [open]);

  const shown = useMemo(() => filterActions(paletteActions(data), query), [data, query]);
  const current = Math.min(active, Math.max(shown.length - 1, 0));
  const optionId = (a: PaletteAction) => `${listId}-${a.id.replace(/[^A-Za-z0-9_-]/g, '_')}`;

  const run = (action: PaletteAction | undefined) => {
    if (!action) return;
    close();
    carryOut(client, action.effect);
  };

  useEffect(() => {
    const a = shown[current];
    if (a) document.getElementById(optionId(a))?.scrollIntoView({ block: 'nearest' });
  });

  return (
    <dialog
      ref={dialog}
      className="palette"
      aria-label="Command palette"
      onCancel={(e) => {
        e.preventDefault();
        close();
      }}
      onClick={(e) => {
        // A click on the backdrop (the dialog itself, outside its box) closes it.
        if (e.target === dialog.current) close();
      }}
    >
      {open && (
        <div className="palette__box">
          <div className="palette__search">
            <Command aria-hidden="true" size={16} />
            <input
              ref={input}
              className="palette__input"
              role="combobox"
              aria-expanded="true"
              aria-controls={listId}
              aria-autocomplete="list"
              aria-activedescendant={shown[current] ? optionId(shown[current]) : undefined}
              aria-label="Command"
              placeholder="Type a command: start, stop, go to, create…"
              value={query}
              onChange={(e) => {
                setQuery(e.target.value);
                setActive(0);
              }}
              onKeyDown={(e) => {
                if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
                  e.preventDefault();
                  const step = e.key === 'ArrowDown' ? 1 : -1;
                  setActive((current + step + shown.length) % Math.max(shown.length, 1));
                } else if (e.key === 'Home' || e.key === 'End') {
                  e.preventDefault();
                  setActive(e.key === 'Home' ? 0 : shown.length - 1);
                } else if (e.key === 'Enter') {
                  e.preventDefault();
                  run(shown[current]);
                } else if (e.key === 'Tab') {
                  // The list is reached with the arrows; Tab stays in the field.
                  e.preventDefault();
                }
              }}
            />
          </div>
          <ul id={listId} role="listbox" aria-label="Commands" className="palette__list">
            {shown.map((a, i) => (
              <li
                key={a.id}
                id={optionId(a)}
                role="option"
                aria-selected={i === current}
                data-method={paletteMethod(a.effect)}
                className={`palette__option${i === current ? ' palette__option--active' : ''}`}
                onMouseMove={() => setActive(i)}
                onClick={() => run(a)}
              >
                <span>{a.label}</span>
                <span className="palette__group muted">{a.group}</span>
              </li>
            ))}
          </ul>
          {shown.length === 0 && <p className="palette__empty muted">No command matches “{query}”.</p>}
          <p className="palette__hint muted">↑↓ to choose · Enter to run · Esc to close</p>
        </div>
      )}
    </dialog>
  );
}

/** The sidebar's button: the same palette for pointer users, with the shortcut in its name. */
export function CommandPaletteButton() {
  return (
    <button type="button" className="activity-button palette-button" aria-keyshortcuts="Control+K" onClick={() => window.dispatchEvent(new Event(OPEN_PALETTE_EVENT))}>
      <Command aria-hidden="true" size={16} />
      <span>Commands</span>
      <kbd className="palette-button__kbd">Ctrl K</kbd>
    </button>
  );
}
