// Where finished actions are said (stores/toast-store.ts): successes in a polite live
// region, failures as alerts with a Dismiss button, in the window's corner, above pages.
import { CircleCheck, CircleX, Info, X } from 'lucide-react';
import { useStore } from 'zustand';
import { toasts, type ToastTone } from '../stores/toast-store.js';
import '../styles/feedback.css';

const ICON: Record<ToastTone, typeof Info> = { success: CircleCheck, info: Info, error: CircleX };

export function Toasts() {
  const shown = useStore(toasts, (s) => s.toasts);
  const dismiss = useStore(toasts, (s) => s.dismiss);
  return (
    <div className="toasts" role="region" aria-label="Results">
      {/* A polite live region must exist before its text arrives, so it is always there. */}
      <div role="status" aria-live="polite" className="toasts__group">
        {shown.filter((t) => t.tone !== 'error').map((t) => {
          const Icon = ICON[t.tone];
          return (
            <div key={t.id} className={`toast toast--${t.tone}`} data-toast={t.tone}>
              <Icon aria-hidden="true" size={16} className="toast__icon" />
              <div className="toast__body">
                <p className="toast__text">{t.text}</p>
                {t.detail && <p className="toast__detail">{t.detail}</p>}
              </div>
            </div>
          );
        })}
      </div>
      {/* Each failure is its own alert, announced as it appears; none stands empty in the page. */}
      <div className="toasts__group">
        {shown.filter((t) => t.tone === 'error').map((t) => (
          <div key={t.id} className="toast toast--error" data-toast="error" role="alert">
            <CircleX aria-hidden="true" size={16} className="toast__icon" />
            <div className="toast__body">
              <p className="toast__text">{t.text}</p>
              {t.detail && <p className="toast__detail">{t.detail}</p>}
            </div>
            <button type="button" className="icon-button" aria-label={`Dismiss: ${t.text}`} onClick={() => dismiss(t.id)}>
              <X aria-hidden="true" size={14} />
            </button>
          </div>
        ))}
      </div>
    </div>
  );
}
