// What exists becomes a project: Export picks VMs, capsules and networks (ExportDialog) and
// shows the NovaFile `nova export` would print, in the editor, to save as a new file; Adopt
// makes the exported resources of no project the project's own (vm/capsule/network.adopt,
// as `nova export --adopt` does), after a confirmation naming each one, so plan and up
// manage them instead of reporting them as clashes.
import { FileDown, FolderInput } from 'lucide-react';
import { useState } from 'react';
import { toErrorShape } from '../../../../src-shared/errors.js';
import { useConfirm } from '../../components/ConfirmDialog.js';
import { ModalDialog } from '../../components/ModalDialog.js';
import { errorWords } from '../../lib/error-words.js';
import { projectHref } from '../../lib/recent-projects.js';
import { announce } from '../../stores/toast-store.js';
import type { NovaClient } from '../../transport/nova-client.js';
import { ExportForm, type ExportResult } from './ExportDialog.js';
import { NovaFileEditor } from './NovaFileEditor.js';

const ADOPT_METHODS = 'vm.adopt capsule.adopt network.adopt';
/** The engine writes the file from what validates; the editor checks again as soon as it is edited. */
const EXPORTED_VALID = { valid: true, diagnostics: [], summary: null };

export function ExportPanel({ client }: { client: NovaClient }) {
  const [open, setOpen] = useState(false);
  const [result, setResult] = useState<ExportResult | null>(null);
  const [target, setTarget] = useState('');
  const [saved, setSaved] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const { confirm, dialog } = useConfirm();
  const loose = result?.unmanaged ?? [];

  const adopt = async () => {
    if (!result || loose.length === 0) return;
    const listed = loose.map((r) => `${r.kind} ${r.name}`).join(', ');
    const ok = await confirm({
      title: `Adopt into project ${result.project}?`,
      body: <p>These become project {result.project}'s: {listed}. Its NovaFile then manages them: nova up changes them to match the file, and nova down stops them.</p>,
      confirmLabel: 'Adopt',
      confirmMethod: ADOPT_METHODS,
    });
    if (!ok) return;
    try {
      for (const r of loose) {
        const params = { name: r.name, project: result.project };
        if (r.kind === 'vm') await client.call('vm.adopt', params);
        else if (r.kind === 'capsule') await client.call('capsule.adopt', params);
        else await client.call('network.adopt', params);
      }
      setResult({ ...result, unmanaged: [] });
      setNote(`${listed} now belong to project ${result.project}.`);
      announce(`Adopted into project ${result.project}`);
    } catch (err) {
      const words = errorWords(toErrorShape(err));
      setNote(`${words.sentence} ${words.next}`);
    }
  };

  return (
    <section className="project-section" aria-label="Export existing resources">
      <h2 className="project-section__title">From what exists</h2>
      <p className="muted">Write VMs, capsules and networks made in Nova as a NovaFile, and make them the project's own.</p>
      <div className="project-export__actions">
        <button type="button" className="button" data-method="project.export" onClick={() => setOpen(true)}>
          <FileDown aria-hidden="true" size={14} />
          Export…
        </button>
        <button type="button" className="button" data-method={ADOPT_METHODS} aria-disabled={loose.length === 0} aria-describedby="export-adopt-why" onClick={() => void adopt()}>
          <FolderInput aria-hidden="true" size={14} />
          Adopt…
        </button>
        <span id="export-adopt-why" className="muted">
          {result === null ? 'Export first: Adopt takes over what the export names as of no project.' : loose.length === 0 ? `Everything exported belongs to project ${result.project}.` : `Of no project: ${loose.map((r) => `${r.kind} ${r.name}`).join(', ')}.`}
        </span>
      </div>
      {note && (
        <p className="muted" role="status">
          {note}
        </p>
      )}
      {result && (
        <div className="project-export__result">
          <label className="project-open__label" htmlFor="export-target">
            Save as (a new .toml file, or a folder to hold NovaFile.toml)
          </label>
          <input id="export-target" className="project-open__input" value={target} placeholder="/home/me/lab/NovaFile.toml" onChange={(e) => setTarget(e.target.value.trim())} autoComplete="off" spellCheck={false} />
          <NovaFileEditor
            key={result.text}
            client={client}
            file={saved ?? (target.startsWith('/') ? target : `/${result.project}/NovaFile.toml`)}
            savedText={result.text}
            savedValidation={EXPORTED_VALID}
            // Once created, further saves go to that file as the project editor's do.
            create={saved === null && target.startsWith('/')}
            onSaved={async (_text, _validation, file) => {
              setSaved(file);
            }}
          />
          {saved && (
            <p>
              Saved to <span className="project-mono">{saved}</span>: <a href={projectHref(saved)}>open the project</a>
            </p>
          )}
        </div>
      )}
      <ModalDialog open={open} title="Export as a NovaFile" onClose={() => setOpen(false)} className="modal--form">
        {open && <ExportForm client={client} onExported={(r) => { setResult(r); setSaved(null); setNote(null); }} onClose={() => setOpen(false)} />}
      </ModalDialog>
      {dialog}
    </section>
  );
}
