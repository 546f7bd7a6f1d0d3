// The activity panel's switch, in the sidebar so it is on every page: how many
// operations run, as a number beside the word and in the button's name.
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
      aria-label={count > 0 ? `Activity, ${count} running` : 'Activity'}
      onClick={() => (open ? closePanel() : openPanel())}
    >
      <Activity aria-hidden="true" size={16} />
      <span>Activity</span>
      {count > 0 && (
        <span className="activity-button__count" aria-hidden="true">
          {count}
        </span>
      )}
    </button>
  );
}
