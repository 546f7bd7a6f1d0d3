// "QEMU command line": the argv the VM's next start would run (vm.showCommand), for a
// diagnosis or a bug report, with the notes on what only a start decides. Fetched when
// the disclosure opens, so the tab costs nothing until someone asks.
import { useState } from 'react';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/errors.js';
import { useServices } from '../../app/services.js';
import { errorWords } from '../../lib/error-words.js';
import { announce, announceFailure } from '../../stores/toast-store.js';

/** Quoted the way a POSIX shell reads it back, so the line can be pasted into a terminal. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function VmQemuCommand({ name }: { name: string }) {
  const { client } = useServices();
  const [shown, setShown] = useState<{ line: string; notes: readonly string[] } | null>(null);
  const [error, setError] = useState<ErrorShape | null>(null);

  const load = async () => {
    setError(null);
    try {
      const r = await client.call('vm.showCommand', { name });
      setShown({ line: r.argv.map(shellQuote).join(' '), notes: r.notes });
    } catch (err) {
      setError(toErrorShape(err));
    }
  };
  const copy = async () => {
    if (!shown) return;
    try {
      await navigator.clipboard.writeText(shown.line);
      announce('QEMU command line copied');
    } catch {
      announceFailure('The clipboard refused the command line', 'Select the text and copy it by hand.');
    }
  };

  return (
    <details className="vm-card" onToggle={(e) => (e.currentTarget.open ? void load() : undefined)}>
      <summary className="vm-card__title" data-method="vm.showCommand">
        QEMU command line
      </summary>
      <p className="vm-field__hint">What the next start of {name} would run; nothing is changed by looking.</p>
      {error && (
        <p className="vm-field__error" role="alert">
          {errorWords(error).sentence}
        </p>
      )}
      {shown && (
        <>
          <pre className="vm-mono vm-command" aria-label="QEMU command line" tabIndex={0}>
            {shown.line}
          </pre>
          <div className="vm-wizard__actions">
            <button type="button" className="button" data-method="vm.showCommand" onClick={() => void copy()}>
              Copy
            </button>
          </div>
          {shown.notes.length > 0 && (
            <ul aria-label="Notes on the command line">
              {shown.notes.map((n) => (
                <li key={n}>{n}</li>
              ))}
            </ul>
          )}
        </>
      )}
    </details>
  );
}
