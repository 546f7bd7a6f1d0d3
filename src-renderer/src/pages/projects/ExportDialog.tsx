// Export's picker: the VMs, capsules and networks on this host (each with the project it
// belongs to, if any) and the project the file is for. Nothing ticked and a project named
// exports every resource of that project, as `nova export --project P` does.
import { useEffect, useState, type FormEvent } from 'react';
import { toErrorShape } from '../../../../src-shared/errors.js';
import { DialogFormFooter } from '../../components/DialogFormFooter.js';
import { errorWords } from '../../lib/error-words.js';
import type { NovaClient } from '../../transport/nova-client.js';

export interface ExportResult {
  project: string;
  text: string;
  unmanaged: Array<{ kind: 'network' | 'vm' | 'capsule'; name: string }>;
}

interface Row {
  kind: 'vm' | 'capsule' | 'network';
  name: string;
  project: string | null;
}

async function listAll(client: NovaClient): Promise<Row[]> {
  const [vms, capsules, networks] = await Promise.all([client.call('vm.list', {}), client.call('capsule.list', {}), client.call('network.list', {})]);
  return [
    ...vms.vms.map((v) => ({ kind: 'vm' as const, name: v.definition.name, project: v.definition.project ?? null })),
    ...capsules.capsules.map((c) => ({ kind: 'capsule' as const, name: c.name, project: c.spec.project ?? null })),
    ...networks.networks.map((n) => ({ kind: 'network' as const, name: n.name, project: n.project })),
  ];
}

const refusalOf = (err: unknown): string => {
  const words = errorWords(toErrorShape(err));
  return `${words.sentence} ${words.next}`;
};

export function ExportForm({ client, onExported, onClose }: { client: NovaClient; onExported: (r: ExportResult) => void; onClose: () => void }) {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const [project, setProject] = useState('');
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<string | null>(null);

  useEffect(() => {
    let stale = false;
    listAll(client).then(
      (r) => !stale && setRows(r),
      (err: unknown) => !stale && setRefusal(refusalOf(err)),
    );
    return () => {
      stale = true;
    };
  }, [client]);

  const toggle = (name: string, on: boolean) => {
    const next = new Set(picked);
    if (on) next.add(name);
    else next.delete(name);
    setPicked(next);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setRefusal(null);
    try {
      const p = project.trim();
      onExported(await client.call('project.export', { names: [...picked], ...(p ? { project: p } : {}) }));
      onClose();
    } catch (err) {
      setRefusal(refusalOf(err));
      setBusy(false);
    }
  };

  return (
    <form className="network-form" aria-label="Export as a NovaFile" data-method="project.export" noValidate onSubmit={(e) => void submit(e)} aria-busy={busy}>
      <div className="network-form__body">
        <fieldset className="project-export__pick">
          <legend>Resources (the networks their guests join come along)</legend>
          {rows === null ? (
            <p className="muted">Reading what is on this host…</p>
          ) : rows.length === 0 ? (
            <p className="muted">No VM, capsule or network on this host yet.</p>
          ) : (
            rows.map((r) => (
              <label key={`${r.kind}:${r.name}`} className="vm-check">
                <input type="checkbox" checked={picked.has(r.name)} onChange={(e) => toggle(r.name, e.target.checked)} />
                {r.kind} {r.name} <span className="muted">{r.project ? `(project ${r.project})` : '(no project)'}</span>
              </label>
            ))
          )}
        </fieldset>
        <label className="project-open__label" htmlFor="export-project">
          Project name (needed for resources of no project; alone, exports all of that project)
        </label>
        <input id="export-project" className="vm-input" value={project} onChange={(e) => setProject(e.target.value)} autoComplete="off" spellCheck={false} data-autofocus />
        {refusal && (
          <p className="form-field__error" role="alert">
            {refusal}
          </p>
        )}
      </div>
      <DialogFormFooter onClose={onClose} busy={busy} label="Export" busyLabel="Exporting…" method="project.export" />
    </form>
  );
}
