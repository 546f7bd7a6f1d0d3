// A VM's start and restart: whether the helper starts it when the host boots (its order
// among the autostarted VMs and capsules, and a delay before it), and its restart policy.
// Both are policy, not hardware: saved with vm.update whatever the VM's state.
import { useState } from 'react';
import { AUTOSTART_MAX_DELAY_SECONDS, AUTOSTART_MAX_ORDER, VmRestartPolicySchema, type VmRestartPolicy } from '../../../../src-shared/vm-lifecycle.js';
import type { VmInfo } from '../../../../src-shared/vm.js';
import { useServices } from '../../app/services.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { announce } from '../../stores/toast-store.js';
import { FormField } from './FormField.js';
import { useVmStore } from './vm-context.js';

const RESTART_WORDS: Record<VmRestartPolicy, string> = {
  no: 'Never: an end is final',
  'on-crash': 'When QEMU dies or the guest crashes',
  always: 'Always, also when the guest powers itself off',
};

function wholeIn(text: string, max: number): string | undefined {
  return /^\d+$/.test(text) && Number(text) <= max ? undefined : `a whole number from 0 to ${max}`;
}

export function VmLifecycleSettings({ vm, busy }: { vm: VmInfo; busy: ResourceBusy | null }) {
  const { client } = useServices();
  const store = useVmStore();
  const name = vm.definition.name;
  const current = vm.definition.autostart;
  const [autostart, setAutostart] = useState(current !== undefined);
  const [order, setOrder] = useState(String(current?.order ?? 0));
  const [delay, setDelay] = useState(String(current?.delaySeconds ?? 0));
  const [restart, setRestart] = useState<VmRestartPolicy>(vm.definition.restart ?? 'no');
  const orderError = autostart ? wholeIn(order, AUTOSTART_MAX_ORDER) : undefined;
  const delayError = autostart ? wholeIn(delay, AUTOSTART_MAX_DELAY_SECONDS) : undefined;
  const invalid = Boolean(orderError ?? delayError);

  const save = async () => {
    if (busy || invalid) return;
    const ok = await store.getState().run(name, 'Saving…', () =>
      client.call('vm.update', { name, autostart: autostart ? { order: Number(order), delaySeconds: Number(delay) } : null, restart }),
    );
    if (ok) announce(`Saved how '${name}' starts and restarts`);
  };

  return (
    <form
      className="vm-card"
      aria-label="Start and restart"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <h2 className="vm-card__title">Start and restart</h2>
      <label className="vm-check">
        <input type="checkbox" checked={autostart} onChange={(e) => setAutostart(e.target.checked)} />
        Start this VM when the host boots
      </label>
      {autostart && (
        <>
          <FormField label="Order (lower starts first)" error={orderError}>
            {(p) => <input {...p} className="vm-input" inputMode="numeric" value={order} onChange={(e) => setOrder(e.target.value)} />}
          </FormField>
          <FormField label="Delay before it starts (seconds)" error={delayError}>
            {(p) => <input {...p} className="vm-input" inputMode="numeric" value={delay} onChange={(e) => setDelay(e.target.value)} />}
          </FormField>
        </>
      )}
      <FormField label="Restart policy" hint="A stop, suspend or delete by a user is never undone.">
        {(p) => (
          <select {...p} className="vm-input" value={restart} onChange={(e) => setRestart(VmRestartPolicySchema.parse(e.target.value))}>
            {VmRestartPolicySchema.options.map((o) => (
              <option key={o} value={o}>
                {RESTART_WORDS[o]}
              </option>
            ))}
          </select>
        )}
      </FormField>
      <div className="vm-wizard__actions">
        <button type="submit" className="button" data-method="vm.update" aria-disabled={busy || invalid ? true : undefined} title={busy?.reason}>
          Save
        </button>
      </div>
    </form>
  );
}
