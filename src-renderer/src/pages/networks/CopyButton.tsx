// A button that copies one value (a WireGuard public key) to the clipboard and says in
// words whether it worked; when the browser refuses, it says to select and copy by hand.
import { Check, Copy } from 'lucide-react';
import { useEffect, useState } from 'react';

type CopyState = 'idle' | 'copied' | 'failed';

const RESET_MS = 2_000;

export function CopyButton({ value, label }: { readonly value: string; readonly label: string }) {
  const [state, setState] = useState<CopyState>('idle');

  useEffect(() => {
    if (state !== 'copied') return;
    const timer = setTimeout(() => setState('idle'), RESET_MS);
    return () => clearTimeout(timer);
  }, [state]);

  const copy = async (): Promise<void> => {
    try {
      // Absent outside a secure context: treated as a refusal.
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      setState('failed');
    }
  };

  return (
    <span className="copy-button">
      <button type="button" className="button button--small" aria-label={label} onClick={() => void copy()}>
        {state === 'copied' ? <Check aria-hidden="true" size={13} /> : <Copy aria-hidden="true" size={13} />}
        {state === 'copied' ? 'Copied' : 'Copy'}
      </button>
      <span role="status" className={state === 'failed' ? 'form-field__error' : 'visually-hidden'}>
        {state === 'copied' ? 'Copied to the clipboard' : state === 'failed' ? 'The browser refused the clipboard: select the key and copy it by hand' : ''}
      </span>
    </span>
  );
}
