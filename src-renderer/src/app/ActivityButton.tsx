// The activity panel's switch, in the sidebar so it is on every page: how many
// operations run, as a number beside the word and in the button's name. The name comes
// from the content, never an aria-label, so what a sighted user reads is part of what a
// speech user says; while some run, one hidden phrase is the whole name.
import { Activity } from 'lucide-react';
import { useStore } from 'zustand';
import { runningCount } from '../stores/operation-store.js';
import { useServices } from './services.js';

export const ACTIVITY_BUTTON_ID = 'activity-button';
export const ACTIVITY_PANEL_ID = 'activity-panel';

export function ActivityButton() {
  const { operations } = useServices();
  const count = useStore(operations, runningCount);
  const open = useStore(operations, (s) => s.panel.open);
  const { openPanel, closePanel } = operations.getState();
  return (
    <button
      type="button"
      id={ACTIVITY_BUTTON_ID}
      className="activity-button"
      aria-expanded={open}
      aria-controls={ACTIVITY_PANEL_ID}
      onClick={() => (open ? closePanel() : openPanel())}
    >
      <Activity aria-hidden="true" size={16} />
      <span aria-hidden={count > 0}>Activity</span>
      {count > 0 && (
        <>
          <span className="activity-button__count" aria-hidden="true">
            {count}
          </span>
          <span className="visually-hidden">Activity, {count} running</span>
        </>
      )}
    </button>
  );
}
