// One host check as one dense row: status, label and finding side by side, with what
// to do and the evidence beneath. Evidence of problems starts open (it is what a
// person verifies first); of passing checks, folded. Folded evidence stays in the DOM.
import { ChevronRight, Wrench } from 'lucide-react';
import { useId, useState } from 'react';
import type { HostCheckItem } from '../../../../src-shared/index.js';
import { StatusBadge } from '../../components/StatusBadge.js';

export function CheckItemRow({ item }: { item: HostCheckItem }) {
  const labelId = useId();
  const evidenceId = useId();
  const [open, setOpen] = useState(item.status !== 'ok');
  const hasEvidence = item.evidence.length > 0;
  return (
    <li className={`check-item check-item--${item.status}`}>
      <article aria-labelledby={labelId} data-check-id={item.id} data-status={item.status} className="check-item__grid">
        <StatusBadge status={item.status} />
        <h3 id={labelId} className="check-item__label">
          {item.label}
        </h3>
        <p className="check-item__summary">{item.summary}</p>
        {hasEvidence && (
          <button
            type="button"
            className="check-item__toggle"
            aria-expanded={open}
            aria-controls={evidenceId}
            onClick={() => setOpen((o) => !o)}
          >
            <ChevronRight aria-hidden="true" size={13} className="check-item__chevron" />
            Evidence ({item.evidence.length})
            <span className="visually-hidden"> for {item.label}</span>
          </button>
        )}
        {item.remedy && (
          <p className="check-item__remedy">
            <Wrench aria-hidden="true" size={13} />
            <span>
              <span className="visually-hidden">What to do: </span>
              {item.remedy}
            </span>
          </p>
        )}
        {hasEvidence && (
          <ul id={evidenceId} className="check-item__evidence" hidden={!open} aria-label={`Evidence for ${item.label}`}>
            {item.evidence.map((line, i) => (
              <li key={i}>
                <code>{line}</code>
              </li>
            ))}
          </ul>
        )}
      </article>
    </li>
  );
}
