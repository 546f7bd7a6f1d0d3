// The create-network dialog: the fields follow the chosen profile (and an overlay's
// driver: a WireGuard overlay takes keyed peers and a listen port), each field says
// what is wrong with it as you type (the contract's schema plus the cross-field rules
// in network-form.ts), and a refusal by the helper is shown whole inside the dialog.
import { useEffect, useId, useMemo, useState, type ChangeEvent, type FormEvent, type ReactNode } from 'react';
import { SubmitButton } from '../../components/SubmitButton.js';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/index.js';
import type { Network, NetworkSpecInput } from '../../../../src-shared/network.js';
import { ModalDialog } from '../../components/ModalDialog.js';
import { useServices } from '../../app/services.js';
import { parseSubnet } from '../../../../src-shared/vocabulary/index.js';
import { errorWords } from '../../lib/error-words.js';
import {
  checkNetworkForm,
  defaultDhcpRange,
  dhcpOffered,
  emptyNetworkForm,
  fieldsFor,
  NETWORK_KINDS,
  OVERLAY_DRIVER_CHOICES,
  uplinkRequired,
  type NetworkFormField,
  type NetworkFormValues,
  type NetworkKind,
} from '../../lib/network-form.js';

interface CreateNetworkDialogProps {
  readonly open: boolean;
  readonly onClose: () => void;
  readonly onCreate: (spec: NetworkSpecInput) => Promise<Network>;
  readonly onCreated: (network: Network) => void;
}

const FIELD_ORDER: readonly NetworkFormField[] = ['name', 'driver', 'vni', 'peers', 'listenPort', 'subnet', 'dhcpStart', 'dhcpEnd', 'uplink'];

const PEERS_INPUT: Record<'vxlan' | 'wireguard', { placeholder: string; hint: string }> = {
  vxlan: { placeholder: '192.0.2.10\n192.0.2.11:4789', hint: 'The other hosts’ addresses, one per line; host:port for a non-default port.' },
  wireguard: {
    placeholder: 'KEY@192.0.2.10\nKEY@192.0.2.11:51820',
    hint: 'One per line: each host’s public key (its network page shows it), “@”, and its address with its listen port if not 51820. You can add peers later on the network’s page.',
  },
};

const UPLINK_LABEL: Record<NetworkKind, { label: string; hint: string }> = {
  nat: { label: 'Uplink (optional)', hint: 'The host interface traffic leaves by, e.g. enp6s0. Empty: whichever route the host uses.' },
  external: { label: 'Uplink', hint: 'The host interface to bridge onto the LAN, e.g. enp6s0. It becomes a port of the bridge.' },
  internal: { label: 'Uplink', hint: '' },
  overlay: { label: 'Underlay interface (optional)', hint: 'The interface that carries the overlay’s traffic to the peers.' },
};

/** Says which host address a subnet means, so the block form ("10.250.2.0/24") is not a surprise. */
function subnetHint(text: string): string {
  const parsed = parseSubnet(text.trim());
  if (parsed.ok) return `The host is ${parsed.value.subnet.gateway} on ${parsed.value.subnet.cidr}; guests get the other addresses.`;
  return 'The host’s address with its prefix length (10.250.2.1/24), or the block (10.250.2.0/24: the host is .1).';
}

export function CreateNetworkDialog({ open, onClose, onCreate, onCreated }: CreateNetworkDialogProps) {
  return (
    <ModalDialog open={open} title="Create network" onClose={onClose} className="modal--form">
      {/* Mounted only while open, so every opening starts from an empty form. */}
      {open && <CreateNetworkForm onClose={onClose} onCreate={onCreate} onCreated={onCreated} />}
    </ModalDialog>
  );
}

function CreateNetworkForm({ onClose, onCreate, onCreated }: Omit<CreateNetworkDialogProps, 'open'>) {
  const ids = useId();
  const [values, setValues] = useState<NetworkFormValues>(() => emptyNetworkForm());
  const [dirty, setDirty] = useState<ReadonlySet<NetworkFormField>>(new Set());
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<ErrorShape | null>(null);

  const { client } = useServices();
  // A free block from the helper (it sees host routes and addresses); none offered if it cannot say.
  const [suggestion, setSuggestion] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    client.call('network.suggestSubnet', {}).then(
      (r) => current && setSuggestion(r.subnet),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [client]);

  const check = useMemo(() => checkNetworkForm(values), [values]);
  const shown = fieldsFor(values.kind, values.driver);
  const errorOf = (field: NetworkFormField): string | undefined => (submitted || dirty.has(field) ? check.errors[field] : undefined);
  const fieldId = (field: NetworkFormField): string => `${ids}-${field}`;

  const change = (field: NetworkFormField) => (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) => {
    setValues((v) => ({ ...v, [field]: e.target.value }));
    setDirty((d) => new Set(d).add(field));
  };

  const chooseKind = (kind: NetworkKind): void => {
    // The DHCP default follows the profile until the user sets it.
    setValues((v) => ({ ...v, kind, dhcp: kind === 'nat' ? true : kind === 'external' ? false : v.dhcp && v.kind !== 'nat' }));
  };

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (busy) return;
    setSubmitted(true);
    if (!check.spec) {
      const first = FIELD_ORDER.find((f) => shown.has(f) && check.errors[f]);
      if (first) document.getElementById(fieldId(first))?.focus();
      return;
    }
    setBusy(true);
    setRefusal(null);
    try {
      onCreated(await onCreate(check.spec));
    } catch (err) {
      setRefusal(toErrorShape(err));
      setBusy(false);
    }
  };

  const field = (
    name: NetworkFormField,
    label: string,
    input: { placeholder?: string; hint?: string; inputMode?: 'numeric'; list?: string; disabled?: boolean; required?: boolean; multiline?: boolean },
  ): ReactNode => {
    const error = errorOf(name);
    const hintId = input.hint ? `${fieldId(name)}-hint` : undefined;
    const errorId = error ? `${fieldId(name)}-error` : undefined;
    const common = {
      id: fieldId(name),
      className: 'form-field__input',
      value: values[name],
      onChange: change(name),
      placeholder: input.placeholder,
      disabled: input.disabled,
      'aria-required': input.required || undefined,
      'aria-invalid': error ? true : undefined,
      'aria-describedby': [errorId, hintId].filter(Boolean).join(' ') || undefined,
      autoComplete: 'off',
      spellCheck: false,
    } as const;
    return (
      <div className="form-field" data-field={name}>
        <label htmlFor={fieldId(name)} className="form-field__label">
          {label}
        </label>
        {input.multiline ? (
          <textarea {...common} rows={3} className="form-field__input form-field__input--multiline" />
        ) : (
          <input {...common} inputMode={input.inputMode} list={input.list} data-autofocus={name === 'name' || undefined} />
        )}
        {error && (
          <p id={errorId} className="form-field__error">
            {error}
          </p>
        )}
        {input.hint && (
          <p id={hintId} className="form-field__hint">
            {input.hint}
          </p>
        )}
      </div>
    );
  };

  const dhcpOn = values.dhcp && dhcpOffered(values.kind);
  const defaultRange = defaultDhcpRange(values.subnet);
  const kindDef = NETWORK_KINDS.find((k) => k.kind === values.kind);
  return (
    <form className="network-form" onSubmit={(e) => void submit(e)} noValidate aria-busy={busy}>
      <div className="network-form__body">
        {field('name', 'Name', { placeholder: 'lab0', hint: 'Also the bridge’s name: lowercase, at most 15 characters.', required: true })}

        <fieldset className="form-choice">
          <legend className="form-field__label">Profile</legend>
          <div className="form-choice__options">
            {NETWORK_KINDS.map((k) => (
              <label key={k.kind} className={`form-choice__option${k.kind === values.kind ? ' form-choice__option--checked' : ''}`}>
                <input type="radio" name={`${ids}-kind`} value={k.kind} checked={k.kind === values.kind} onChange={() => chooseKind(k.kind)} />
                {k.label}
              </label>
            ))}
          </div>
          {kindDef && <p className="form-field__hint">{kindDef.hint}</p>}
        </fieldset>

        {values.kind === 'overlay' && (
          <fieldset className="form-choice" data-field="driver">
            <legend className="form-field__label">Driver</legend>
            <div className="form-choice__options">
              {OVERLAY_DRIVER_CHOICES.map((d) => (
                <label key={d.driver} className={`form-choice__option${d.driver === values.driver ? ' form-choice__option--checked' : ''}`}>
                  <input type="radio" name={`${ids}-driver`} value={d.driver} checked={d.driver === values.driver} onChange={() => setValues((v) => ({ ...v, driver: d.driver }))} />
                  {d.label}
                </label>
              ))}
            </div>
            <p className="form-field__hint">{OVERLAY_DRIVER_CHOICES.find((d) => d.driver === values.driver)?.hint ?? 'The helper names the drivers this host offers.'}</p>
          </fieldset>
        )}
        {values.kind === 'overlay' && (
          <div className="form-row">
            {field('vni', 'VNI', { placeholder: '42', inputMode: 'numeric', hint: '1-16777215, the same on every host.', required: true })}
            {shown.has('listenPort') &&
              field('listenPort', 'Listen port (optional)', { placeholder: '51820', inputMode: 'numeric', hint: 'This host’s UDP port for the tunnel; the other hosts write it after its address.' })}
          </div>
        )}
        {values.kind === 'overlay' && field('peers', 'Peers', { ...PEERS_INPUT[values.driver === 'wireguard' ? 'wireguard' : 'vxlan'], multiline: true })}

        {shown.has('subnet') &&
          field('subnet', values.kind === 'nat' ? 'Subnet' : 'Subnet (optional)', {
            placeholder: suggestion ?? '192.168.220.1/24',
            hint: subnetHint(values.subnet),
            required: values.kind === 'nat',
          })}
        {shown.has('subnet') && suggestion && values.subnet.trim() !== suggestion && (
          <p className="form-suggestion">
            <span>
              Free here: <code>{suggestion}</code> (no host route, address or network overlaps it)
            </span>
            <button
              type="button"
              className="button button--small"
              data-method="network.suggestSubnet"
              onClick={() => {
                setValues((v) => ({ ...v, subnet: suggestion }));
                setDirty((d) => new Set(d).add('subnet'));
              }}
            >
              Use {suggestion}
            </button>
          </p>
        )}

        {dhcpOffered(values.kind) && (
          <div className="form-dhcp">
            <label className="form-check">
              <input type="checkbox" checked={values.dhcp} onChange={(e) => setValues((v) => ({ ...v, dhcp: e.target.checked }))} />
              Serve DHCP and DNS to guests
            </label>
            {dhcpOn && (
              <div className="form-row">
                {field('dhcpStart', 'DHCP range start', { placeholder: defaultRange?.start ?? '192.168.220.50' })}
                {field('dhcpEnd', 'DHCP range end', { placeholder: defaultRange?.end ?? '192.168.220.150' })}
              </div>
            )}
            {dhcpOn && (
              <p className="form-field__hint">
                {defaultRange
                  ? `Leave the range empty for ${defaultRange.start} – ${defaultRange.end}, the larger run of addresses beside the host’s.`
                  : 'Leave the range empty for the larger run of addresses beside the host’s.'}
              </p>
            )}
          </div>
        )}

        {shown.has('uplink') &&
          field('uplink', UPLINK_LABEL[values.kind].label, {
            placeholder: 'enp6s0',
            hint: UPLINK_LABEL[values.kind].hint,
            required: uplinkRequired(values.kind),
          })}

        {refusal && (
          <div className="form-refusal" role="alert">
            <p className="form-refusal__title">The helper refused to create the network</p>
            <p className="form-refusal__message">
              {errorWords(refusal).sentence}
            </p>
            <p className="form-field__hint">Nothing was created. Change the fields above and try again.</p>
          </div>
        )}
      </div>
      <footer className="modal__footer">
        <button type="button" className="button" onClick={onClose}>
          Cancel
        </button>
        <SubmitButton busy={busy} label="Create" busyLabel="Creating…" method="network.create" />
      </footer>
    </form>
  );
}
