// What a browser shows in web mode when the tab holds no token (a bookmark, a browser
// restart, the address typed by hand): the server hands the app's code to anyone on
// 127.0.0.1, but only the token opens Nova. The person pastes it (or the whole address
// `nova web --print-url` prints); it is tried on Nova's socket before it is kept, so a
// wrong or outdated one is said here rather than as a UI that never connects.
import { KeyRound } from 'lucide-react';
import { useId, useRef, useState, type FormEvent } from 'react';
import { SubmitButton } from '../components/SubmitButton.js';
import { keepToken, tokenFromPaste } from '../lib/web-token.js';
import { tokenOpensNova } from '../lib/stale-token.js';
import '../styles/networks.css';

/** `stale`: a kept token stopped working (nova web was started again); it has been forgotten. */
export function TokenPage({ stale = false }: { stale?: boolean }) {
  const ids = useId();
  const input = useRef<HTMLInputElement>(null);
  const [text, setText] = useState('');
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [trying, setTrying] = useState(false);

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (trying) return;
    const token = tokenFromPaste(text);
    const refuse = (why: string) => {
      setError(why);
      input.current?.focus();
    };
    if (!token) return refuse('Paste the token (letters, digits, “-” and “_”) or the whole address “nova web” printed.');
    setTrying(true);
    const ok = await tokenOpensNova(token);
    setTrying(false);
    if (!ok) return refuse('Nova did not accept this token. Each run of “nova web” makes a new one: run “nova web --print-url” for the current address.');
    keepToken(window, token, remember);
    window.location.reload();
  };

  return (
    <main className="token-page">
      <h1>
        <KeyRound aria-hidden="true" size={22} /> Nova needs its access token
      </h1>
      {stale && (
        <p className="token-page__stale" role="alert">
          The saved token no longer works: “nova web” was started again and made a new one. This browser has forgotten the old token.
        </p>
      )}
      <p>
        {stale ? 'To go on, ' : 'This page was opened without the token that lets a browser use Nova. '}
        {stale ? 'in' : 'In'} a terminal on this computer, run <code>nova web --print-url</code> and open the address it prints, or paste it (or just the token after <code>?token=</code>) here.
      </p>
      <form className="token-page__form" onSubmit={(e) => void submit(e)} noValidate aria-busy={trying}>
        <label htmlFor={`${ids}-token`} className="form-field__label">
          Access token or address
        </label>
        <input
          ref={input}
          id={`${ids}-token`}
          className="form-field__input"
          value={text}
          onChange={(e) => setText(e.target.value)}
          autoComplete="off"
          spellCheck={false}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${ids}-error` : undefined}
          autoFocus
        />
        {error && (
          <p id={`${ids}-error`} className="form-field__error" role="alert">
            {error}
          </p>
        )}
        <label className="token-page__remember">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
          Remember on this computer (kept in this browser for this address only, until you clear the site’s data)
        </label>
        <SubmitButton busy={trying} label="Open Nova" busyLabel="Checking…" />
      </form>
    </main>
  );
}
