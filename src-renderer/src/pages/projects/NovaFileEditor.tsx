// The NovaFile as text: a textarea beside a gutter of line numbers, problems marked at
// their lines as the user types (novafile.validate, debounced) and listed below, and
// Save, which main refuses unless the text validates. Saved: the page plans again.
import { Save } from 'lucide-react';
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import { toErrorShape, type ErrorShape, type NovaFileValidation } from '../../../../src-shared/index.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { lineCount, problemsByLine, problemText } from '../../lib/novafile-editor.js';
import type { NovaClient } from '../../transport/nova-client.js';

const VALIDATE_DEBOUNCE_MS = 250;

interface Props {
  readonly client: NovaClient;
  readonly file: string;
  readonly savedText: string;
  readonly savedValidation: NovaFileValidation;
  readonly onSaved: (text: string, validation: NovaFileValidation, file: string) => Promise<void>;
  /** A new file (an export): saving creates it, unedited text included, and never writes over one. */
  readonly create?: boolean;
}

export function NovaFileEditor({ client, file, savedText, savedValidation, onSaved, create = false }: Props) {
  const [text, setText] = useState(savedText);
  const [validation, setValidation] = useState(savedValidation);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<ErrorShape | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const problemsId = useId();

  useEffect(() => {
    if (text === savedText) {
      setValidation(savedValidation);
      return;
    }
    let stale = false;
    const t = setTimeout(() => {
      client.call('novafile.validate', { text, fileName: file }).then(
        (v) => !stale && setValidation(v),
        (err: unknown) => !stale && setError(toErrorShape(err)),
      );
    }, VALIDATE_DEBOUNCE_MS);
    return () => {
      stale = true;
      clearTimeout(t);
    };
  }, [client, file, text, savedText, savedValidation]);

  const byLine = useMemo(() => problemsByLine(validation.diagnostics, text), [validation, text]);
  const problems = [...byLine.values()].flat();
  const lines = lineCount(text);
  const dirty = text !== savedText;
  const hasErrors = problems.some((p) => p.severity === 'error');

  const canSave = (dirty || create) && !saving && !hasErrors;
  const save = async () => {
    if (!canSave) return;
    setSaving(true);
    setError(null);
    setNote(null);
    try {
      const r = await client.call('project.save', { path: file, text, create });
      setValidation(r.validation);
      if (r.saved) {
        setNote(create ? `Saved as ${r.file}.` : 'Saved; the plan below is made from the saved file.');
        await onSaved(text, r.validation, r.file);
      } else setNote('Not saved: fix the problems marked in the file first.');
    } catch (err) {
      setError(toErrorShape(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <section className="novafile-editor" aria-label="NovaFile editor" data-method="novafile.validate">
      <div className="novafile-editor__bar">
        <span className="project-mono muted">{file}</span>
        <span className="novafile-editor__status" aria-live="polite">
          {dirty || create ? 'Unsaved changes' : 'Saved'}
          {hasErrors ? ` · ${problems.length} problem${problems.length === 1 ? '' : 's'}` : ''}
        </span>
        <button type="button" className="button button--primary" data-method="project.save" onClick={() => void save()} aria-disabled={!canSave}>
          <Save aria-hidden="true" size={14} />
          {saving ? 'Saving…' : 'Save'}
        </button>
      </div>
      <div className="novafile-editor__frame">
        <div className="novafile-editor__gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lines }, (_, i) => {
            const p = byLine.get(i + 1);
            return (
              <div key={i} className={p ? `novafile-editor__line novafile-editor__line--${p[0]!.severity}` : 'novafile-editor__line'} title={p?.map(problemText).join('\n')} data-line={i + 1}>
                {i + 1}
              </div>
            );
          })}
        </div>
        <textarea
          className="novafile-editor__text"
          aria-label="NovaFile text"
          aria-invalid={hasErrors}
          aria-describedby={problemsId}
          spellCheck={false}
          wrap="off"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onScroll={(e) => {
            if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
          }}
        />
      </div>
      <ul id={problemsId} className="novafile-editor__problems" aria-label="Problems in the file">
        {problems.map((p, i) => (
          <li key={i} className={`novafile-editor__problem novafile-editor__problem--${p.severity}`} data-line={p.line}>
            {problemText(p)}
          </li>
        ))}
      </ul>
      {note && <p className="muted">{note}</p>}
      {error && <ErrorPanel context="Could not save the NovaFile" error={error} />}
    </section>
  );
}
