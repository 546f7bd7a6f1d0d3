// A network's changeable settings (network.update): subnet while nothing is attached,
// the DHCP server on or off and its range, DNS and domain, the egress allow-list. Each field says beforehand whether a
// change takes effect now or needs the guests to reconnect, and after saving the result
// says it per field. Forwards and peers are edited in their own sections; the
// network.changed event that follows a save refreshes the page.
import { Save } from 'lucide-react';
import { useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/index.js';
import type { ChangeEffect, Network, NetworkUpdateResult } from '../../../../src-shared/network.js';
import { useServices } from '../../app/services.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import {
  checkSettings,
  effectText,
  FIELD_EFFECT,
  FIELD_LABEL,
  settingsOf,
  type NetworkSettingsValues,
  type SettingsErrors,
  type SettingsField,
} from '../../lib/network-settings-form.js';
import { announce } from '../../stores/toast-store.js';
import type { ResourceBusy } from '../../stores/resource-busy.js';
import { ProjectChangeNotice } from '../projects/ProjectOwner.js';
import { EffectNote } from './EffectNote.js';
import { NetworkSection } from './NetworkSection.js';

const FIELD_ORDER: readonly SettingsField[] = ['subnet', 'dhcpStart', 'dhcpEnd', 'domain', 'egress'];

export function NetworkSettings({ network: n, held }: { network: Network; held: ResourceBusy | null }) {
  const { client } = useServices();
  const id = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const [values, setValues] = useState<NetworkSettingsValues>(() => settingsOf(n));
  const [errors, setErrors] = useState<SettingsErrors>({});
  const [refusal, setRefusal] = useState<ErrorShape | null>(null);
  const [result, setResult] = useState<NetworkUpdateResult | null>(null);
  const [saving, setSaving] = useState(false);
  const busy = saving || held !== null;

  // Another surface changed the network: show what it has now, unless the user is typing.
  const shown = JSON.stringify(settingsOf(n));
  const [base, setBase] = useState(shown);
  useEffect(() => {
    if (shown === base) return;
    setBase(shown);
    setValues(settingsOf(n));
  }, [shown, base, n]);

  const set = <K extends keyof NetworkSettingsValues>(key: K, value: NetworkSettingsValues[K]) => setValues((v) => ({ ...v, [key]: value }));

  const save = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    if (busy) return;
    const check = checkSettings(n, values);
    setErrors(check.errors);
    setRefusal(null);
    if (!check.update) {
      const first = FIELD_ORDER.find((f) => check.errors[f]);
      formRef.current?.querySelector<HTMLElement>(`[data-field="${first ?? ''}"] :is(input, textarea)`)?.focus();
      return;
    }
    setSaving(true);
    try {
      const r = await client.call('network.update', check.update);
      setResult(r);
      announce(r.changes.length === 0 ? `Nothing changed on '${n.name}'` : `Saved the settings of '${n.name}'`, r.changes.map((c) => `${FIELD_LABEL[c.field]}: ${effectText(c.effect).toLowerCase()}`).join('; '));
    } catch (err) {
      setRefusal(toErrorShape(err));
    } finally {
      setSaving(false);
    }
  };

  const field = (name: SettingsField, label: string, effect: ChangeEffect, opts: { placeholder?: string; disabled?: string; multiline?: boolean; hint?: string } = {}): ReactNode => {
    const inputId = `${id}-${name}`;
    const error = errors[name];
    const value = name === 'egress' ? values.egress : values[name];
    const describedBy = [error ? `${inputId}-error` : '', `${inputId}-hint`].filter(Boolean).join(' ');
    const common = {
      id: inputId,
      className: 'form-field__input',
      value,
      onChange: (ev: { target: { value: string } }) => set(name, ev.target.value),
      placeholder: opts.placeholder,
      disabled: opts.disabled !== undefined,
      'aria-invalid': error ? true : undefined,
      'aria-describedby': describedBy,
      spellCheck: false,
      autoComplete: 'off',
    } as const;
    return (
      <div className="form-field" data-field={name}>
        <label htmlFor={inputId} className="form-field__label">
          {label}
        </label>
        {opts.multiline ? <textarea {...common} rows={4} className="form-field__input form-field__input--multiline" /> : <input {...common} />}
        {error && (
          <p id={`${inputId}-error`} className="form-field__error">
            {error}
          </p>
        )}
        <p id={`${inputId}-hint`} className="form-field__hint">
          <EffectNote effect={effect} />
          {opts.disabled ? ` · ${opts.disabled}` : opts.hint ? ` · ${opts.hint}` : ''}
        </p>
      </div>
    );
  };

  const attached = n.attachments.length;
  return (
    <NetworkSection title="Settings" id={`${id}-settings`}>
      <ProjectChangeNotice project={n.project} kind="network" name={n.name} noun="network" />
      <form ref={formRef} className="network-settings" aria-label="Network settings" onSubmit={(e) => void save(e)} noValidate aria-busy={saving}>
        {n.subnet &&
          field('subnet', 'Subnet', FIELD_EFFECT.subnet, {
            placeholder: '10.250.2.0/24',
            hint: 'the host’s address or the block (10.250.2.0/24 means host .1)',
            ...(attached > 0 ? { disabled: `cannot change while ${attached} guest${attached === 1 ? ' is' : 's are'} attached` } : {}),
            ...(n.type === 'overlay' ? { disabled: 'an overlay’s subnet is shared with its peers' } : {}),
          })}
        {n.subnet && n.type !== 'overlay' && (
          <div className="form-dhcp">
            <label className="form-check">
              <input type="checkbox" checked={values.dhcp} onChange={(e) => set('dhcp', e.target.checked)} />
              Run a DHCP server
            </label>
            {values.dhcp && (
              <div className="form-row">
                {field('dhcpStart', 'DHCP range start', FIELD_EFFECT.dhcpRange, n.dhcpRange ? {} : { placeholder: 'Nova picks', hint: 'empty: the block’s default range' })}
                {field('dhcpEnd', 'DHCP range end', FIELD_EFFECT.dhcpRange, n.dhcpRange ? {} : { placeholder: 'Nova picks' })}
              </div>
            )}
            {!values.dhcp && n.dhcpRange && (
              <p className="form-field__hint">
                <EffectNote effect={FIELD_EFFECT.dhcp} /> · guests keep their leases until they renew, then need addresses of their own
              </p>
            )}
          </div>
        )}
        {n.subnet && (
          <div className="form-dhcp">
            <label className="form-check">
              <input type="checkbox" checked={values.dns} onChange={(e) => set('dns', e.target.checked)} />
              Serve DNS to guests
            </label>
            {values.dns && field('domain', 'Domain', FIELD_EFFECT.domain, { placeholder: `${n.name}.nova` })}
          </div>
        )}
        {n.profile === 'nat' && (
          <div className="form-dhcp">
            <label className="form-check">
              <input type="checkbox" checked={values.restrictEgress} onChange={(e) => set('restrictEgress', e.target.checked)} />
              Allow only listed destinations out of the network
            </label>
            {values.restrictEgress &&
              field('egress', 'Egress allow-list', FIELD_EFFECT.egressAllow, {
                placeholder: '10.0.0.0/8:443/tcp\n53/udp',
                multiline: true,
                hint: 'one rule per line: ADDRESS[/PREFIX][:PORT[-PORT]][/tcp|udp]; an empty list drops everything',
              })}
          </div>
        )}
        <div className="network-settings__actions">
          <button type="submit" className="button button--primary" data-method="network.update" aria-disabled={busy || undefined} title={held?.reason}>
            <Save aria-hidden="true" size={14} />
            {saving ? 'Saving…' : 'Save settings'}
          </button>
        </div>
      </form>
      {/* The live region wraps the list: a role on the <ul> itself would take away its list semantics. */}
      {result && result.changes.length > 0 && (
        <div role="status">
          <ul className="change-results" aria-label="What changed">
            {result.changes.map((c) => (
              <li key={c.field} data-field={c.field}>
                <strong>{FIELD_LABEL[c.field]}</strong>: <EffectNote effect={c.effect} /> <span className="muted">({c.note})</span>
              </li>
            ))}
          </ul>
        </div>
      )}
      {result && result.changes.length === 0 && (
        <p className="muted" role="status">
          Nothing changed: the network already had these settings.
        </p>
      )}
      {refusal && <ErrorPanel context={`Could not change ${n.name}; nothing was changed`} error={refusal} />}
    </NetworkSection>
  );
}
