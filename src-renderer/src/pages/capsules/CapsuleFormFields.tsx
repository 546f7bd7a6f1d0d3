// The fields the capsule forms share (the create dialog and the Settings tab's editor):
// a text line, a list of lines, and the network block: a picker of Nova networks, the
// address on it (empty: Nova picks a free one) and the published ports. Each field carries
// `data-field` so a failed submit can focus the first one in error.
import { useEffect, useState } from 'react';
import type { Network } from '../../../../src-shared/network.js';
import { useServices } from '../../app/services.js';
import type { CapsuleForm, CapsuleFormErrors, CapsuleFormField } from '../../lib/capsule-form.js';
import { FormField } from '../vms/FormField.js';

export interface FieldProps<F extends CapsuleFormField> {
  readonly form: Pick<CapsuleForm, F>;
  readonly errors: CapsuleFormErrors;
  /** Whether the field's error shows yet (once touched, or after a submit). */
  readonly shown: (field: F) => boolean;
  readonly set: (field: F, value: string) => void;
}

interface TextOptions {
  readonly hint?: string;
  readonly placeholder?: string;
  readonly autofocus?: boolean;
  readonly inputMode?: 'decimal' | 'numeric';
  readonly wide?: boolean;
}

export function TextField<F extends CapsuleFormField>({ field, label, p, o = {} }: { field: F; label: string; p: FieldProps<F>; o?: TextOptions }) {
  return (
    <div data-field={field} className={o.wide ? 'capsule-form__wide' : undefined}>
      <FormField label={label} hint={o.hint} error={p.shown(field) ? p.errors[field] : undefined}>
        {(a) => (
          <input
            {...a}
            className="vm-input"
            value={p.form[field]}
            placeholder={o.placeholder}
            inputMode={o.inputMode}
            spellCheck={false}
            autoComplete="off"
            {...(o.autofocus ? { 'data-autofocus': true } : {})}
            onChange={(e) => p.set(field, e.target.value)}
          />
        )}
      </FormField>
    </div>
  );
}

export function LinesField<F extends CapsuleFormField>({ field, label, hint, placeholder, p }: { field: F; label: string; hint: string; placeholder: string; p: FieldProps<F> }) {
  return (
    <div data-field={field} className="capsule-form__wide">
      <FormField label={label} hint={hint} error={p.shown(field) ? p.errors[field] : undefined}>
        {(a) => <textarea {...a} className="vm-input" rows={2} value={p.form[field]} placeholder={placeholder} spellCheck={false} onChange={(e) => p.set(field, e.target.value)} />}
      </FormField>
    </div>
  );
}

/** Nova's networks, for the picker; null while loading, [] when none or unreachable. */
export function useNetworks(): readonly Network[] | null {
  const { client } = useServices();
  const [networks, setNetworks] = useState<readonly Network[] | null>(null);
  useEffect(() => {
    let live = true;
    client.call('network.list', {}).then(
      (r) => live && setNetworks(r.networks),
      () => live && setNetworks([]),
    );
    return () => {
      live = false;
    };
  }, [client]);
  return networks;
}

type NetField = 'network' | 'address' | 'ports';

export function NetworkFields({ p }: { p: FieldProps<NetField> }) {
  const networks = useNetworks();
  const chosen = networks?.find((n) => n.name === p.form.network);
  const names = new Set((networks ?? []).map((n) => n.name));
  return (
    <div className="vm-form-grid">
      <div data-field="network">
        <FormField
          label="Network"
          hint={chosen ? `${chosen.subnet ?? 'no subnet'} (${chosen.type}); the capsule is reachable as its name there` : 'None: the capsule has loopback only.'}
          error={p.shown('network') ? p.errors.network : undefined}
        >
          {(a) => (
            <select {...a} className="vm-input" value={p.form.network} onChange={(e) => p.set('network', e.target.value)}>
              <option value="">None (loopback only)</option>
              {(networks ?? []).map((n) => (
                <option key={n.name} value={n.name}>
                  {n.name}
                  {n.subnet ? ` · ${n.subnet}` : ''}
                </option>
              ))}
              {p.form.network && !names.has(p.form.network) && <option value={p.form.network}>{p.form.network} (not found)</option>}
            </select>
          )}
        </FormField>
      </div>
      <TextField field="address" label="Address" p={p} o={{ placeholder: 'picked by Nova', hint: chosen?.subnet ? `Empty: a free address of ${chosen.subnet}; or a static one in it.` : 'Empty: Nova picks a free one.' }} />
      <LinesField field="ports" label="Published ports" hint="One host:capsule[/udp] per line, reachable on the host (needs a NAT network)." placeholder="8080:80" p={p} />
    </div>
  );
}
