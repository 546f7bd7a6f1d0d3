// A capsule's limits (memory, CPUs, processes) changed with capsule.update, which takes a
// stopped capsule and applies them at its next start. Each field is checked as typed with
// the contract's own parser, so the page and the helper refuse the same values; an empty
// field removes the limit. A project's capsule gets the write-back offer beside it.
import { useState } from 'react';
import type { Capsule } from '../../../../src-shared/capsule.js';
import { CAPSULE_MEMORY, MEBIBYTE, formatSize, parseSize } from '../../../../src-shared/vocabulary/size.js';
import { useServices } from '../../app/services.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { ProjectChangeNotice } from '../projects/ProjectOwner.js';
import { FormField } from '../vms/FormField.js';
import { useCapsuleStore } from './capsule-context.js';

const shownMemory = (bytes: number | undefined) => (bytes === undefined ? '' : bytes % MEBIBYTE === 0 ? formatSize(bytes / MEBIBYTE) : `${bytes}`);

function wholeAtLeastOne(text: string, what: string): string | undefined {
  if (text.trim() === '') return undefined;
  return /^\d+$/.test(text.trim()) && Number(text) >= 1 ? undefined : `${what} is a whole number of at least 1, or empty for no limit`;
}

export function CapsuleLimits({ capsule, busy }: { capsule: Capsule; busy: ResourceBusy | null }) {
  const { client } = useServices();
  const store = useCapsuleStore();
  const s = capsule.spec;
  const [memory, setMemory] = useState(shownMemory(s.memoryBytes));
  const [cpus, setCpus] = useState(s.cpus === undefined ? '' : String(s.cpus));
  const [pids, setPids] = useState(s.pids === undefined ? '' : String(s.pids));
  const stopped = capsule.state === 'stopped' || capsule.state === 'created';
  const parsedMemory = memory.trim() === '' ? null : parseSize(memory, CAPSULE_MEMORY);
  const memoryError = parsedMemory && !parsedMemory.ok ? parsedMemory.message : undefined;
  const cpusError = cpus.trim() === '' || (Number(cpus) > 0 && Number.isFinite(Number(cpus))) ? undefined : 'CPUs is a number above 0 (e.g. 1.5), or empty for no limit';
  const pidsError = wholeAtLeastOne(pids, 'Processes');
  const changed = memory !== shownMemory(s.memoryBytes) || cpus !== (s.cpus === undefined ? '' : String(s.cpus)) || pids !== (s.pids === undefined ? '' : String(s.pids));
  const invalid = Boolean(memoryError ?? cpusError ?? pidsError);
  const off = busy !== null || !stopped || !changed || invalid;

  const save = () => {
    if (off) return;
    void store.getState().run(capsule.name, 'Saving…', () =>
      client.call('capsule.update', {
        name: capsule.name,
        ...(parsedMemory?.ok ? { memory: formatSize(parsedMemory.value) } : { memoryBytes: null }),
        cpus: cpus.trim() === '' ? null : Number(cpus),
        pids: pids.trim() === '' ? null : Number(pids),
      }),
    );
  };

  return (
    <form
      className="vm-card"
      aria-label="Limits"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        save();
      }}
    >
      <h2 className="vm-card__title">Limits</h2>
      <ProjectChangeNotice project={s.project} kind="capsule" name={capsule.name} noun="capsule" />
      <FormField label="Memory limit" error={memoryError} hint={stopped ? 'e.g. 512Mi or 2Gi; empty for no limit' : 'Stop the capsule to change its limits; they apply at its next start.'}>
        {(p) => <input {...p} className="vm-input" value={memory} onChange={(e) => setMemory(e.target.value)} spellCheck={false} autoComplete="off" />}
      </FormField>
      <FormField label="CPUs" error={cpusError}>
        {(p) => <input {...p} className="vm-input" inputMode="decimal" value={cpus} onChange={(e) => setCpus(e.target.value)} autoComplete="off" />}
      </FormField>
      <FormField label="Processes" error={pidsError}>
        {(p) => <input {...p} className="vm-input" inputMode="numeric" value={pids} onChange={(e) => setPids(e.target.value)} autoComplete="off" />}
      </FormField>
      <div className="vm-wizard__actions">
        <button type="submit" className="button" aria-disabled={off || undefined} title={busy?.reason}>
          Save limits
        </button>
      </div>
    </form>
  );
}
