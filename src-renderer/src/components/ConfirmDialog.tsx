// The one confirmation every destructive action asks through: what will be lost, said in
// words, a cancelling and a confirming button. It is an alertdialog on a native modal
// <dialog>, so the page behind is inert; focus starts on Cancel, so Enter (which presses
// the focused button) confirms only once the person has moved to the confirming button;
// Escape cancels; and focus goes back to the control that asked, even when a re-render
// replaced it meanwhile (then to the element with the same accessible name, if any).
import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import '../styles/networks.css';
import '../styles/feedback.css';

export interface ConfirmRequest {
  readonly title: string;
  /** What will be lost, in words. */
  readonly body: ReactNode;
  /** Usually a string; a live element where the body holds a choice that changes the verb. */
  readonly confirmLabel: ReactNode;
  readonly cancelLabel?: string;
  /** The helper method(s) confirming calls, as data-method for the parity table. */
  readonly confirmMethod?: string;
}

interface ConfirmDialogProps {
  readonly request: ConfirmRequest | null;
  readonly onAnswer: (confirmed: boolean) => void;
}

export function ConfirmDialog({ request, onAnswer }: ConfirmDialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const titleId = useId();
  const bodyId = useId();

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (request && !dialog.open) {
      dialog.showModal();
      cancelRef.current?.focus();
    }
    if (!request && dialog.open) dialog.close();
  }, [request]);

  return (
    <dialog
      ref={ref}
      className="modal confirm-dialog"
      role="alertdialog"
      aria-modal="true"
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(e) => {
        e.preventDefault();
        onAnswer(false);
      }}
      onKeyDown={(e) => {
        // A modal <dialog> lets Tab leave for the browser's own controls; its own controls wrap instead.
        if (e.key !== 'Tab') return;
        const buttons = [...e.currentTarget.querySelectorAll<HTMLElement>('input, select, textarea, button')];
        const edge = e.shiftKey ? buttons[0] : buttons[buttons.length - 1];
        if (document.activeElement !== edge) return;
        e.preventDefault();
        (e.shiftKey ? buttons[buttons.length - 1] : buttons[0])?.focus();
      }}
    >
      {request && (
        <>
          <header className="modal__header">
            <h2 id={titleId} className="modal__title">
              {request.title}
            </h2>
          </header>
          <div id={bodyId} className="confirm-dialog__body">
            {request.body}
          </div>
          <footer className="modal__footer">
            <button ref={cancelRef} type="button" className="button" onClick={() => onAnswer(false)}>
              {request.cancelLabel ?? 'Cancel'}
            </button>
            <button type="button" className="button button--danger" data-method={request.confirmMethod} onClick={() => onAnswer(true)}>
              {request.confirmLabel}
            </button>
          </footer>
        </>
      )}
    </dialog>
  );
}

/** Where focus goes back to: the invoker if still in the page, else its namesake. */
function restoreFocus(invoker: HTMLElement | null): void {
  if (!invoker) return;
  if (invoker.isConnected) return invoker.focus();
  const label = invoker.getAttribute('aria-label') ?? invoker.textContent;
  const twin = [...document.querySelectorAll<HTMLElement>('button, a[href]')].find((el) => (el.getAttribute('aria-label') ?? el.textContent) === label);
  twin?.focus();
}

/**
 * `confirm(request)` resolves true when the person confirmed; render `dialog` once in the
 * component. One question at a time: a second ask while one is open answers the first "no".
 */
export function useConfirm(): { confirm: (request: ConfirmRequest) => Promise<boolean>; dialog: ReactNode } {
  const [request, setRequest] = useState<ConfirmRequest | null>(null);
  const pending = useRef<{ resolve: (ok: boolean) => void; invoker: HTMLElement | null } | null>(null);

  const confirm = useCallback((next: ConfirmRequest) => {
    pending.current?.resolve(false);
    return new Promise<boolean>((resolve) => {
      const active = document.activeElement;
      pending.current = { resolve, invoker: active instanceof HTMLElement ? active : null };
      setRequest(next);
    });
  }, []);

  const onAnswer = useCallback((ok: boolean) => {
    const asked = pending.current;
    pending.current = null;
    setRequest(null);
    // After the dialog closes (the browser would otherwise put focus on <body>).
    queueMicrotask(() => restoreFocus(asked?.invoker ?? null));
    asked?.resolve(ok);
  }, []);

  // An answer nobody waits for any more (the page went) must not hang a caller.
  useEffect(() => () => pending.current?.resolve(false), []);

  return { confirm, dialog: <ConfirmDialog request={request} onAnswer={onAnswer} /> };
}
