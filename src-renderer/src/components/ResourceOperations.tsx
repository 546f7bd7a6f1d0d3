// Progress in place: the operations running on a resource (or on any resource of some
// kinds, for the Images page), shown on that resource's page with their Cancel buttons.
// One that ends while the page is open stays, saying how it ended, until dismissed.
import { useMemo, useRef, useState } from 'react';
import { useStore } from 'zustand';
import type { Operation, ResourceKind, ResourceRef } from '../../../src-shared/operation.js';
import { useServices } from '../app/services.js';
import { sameResource, sortOperations } from '../lib/operation-format.js';
import '../styles/operations.css';
import { OperationItem } from './OperationItem.js';

type ResourceOperationsProps =
  | { readonly resource: ResourceRef; readonly kinds?: undefined; readonly label: string }
  | { readonly resource?: undefined; readonly kinds: readonly ResourceKind[]; readonly label: string };

export function ResourceOperations({ resource, kinds, label }: ResourceOperationsProps) {
  const { operations } = useServices();
  const byId = useStore(operations, (s) => s.byId);
  // Seen running here: those are kept when they end, so a Cancel clicked here is answered here.
  const seenRunning = useRef(new Set<string>());
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());

  const shown = useMemo(() => {
    const mine = (op: Operation) => (resource ? sameResource(op.resource, resource) : kinds.includes(op.resource.kind));
    const list = Object.values(byId).filter((op) => mine(op) && !dismissed.has(op.id) && (op.state === 'running' || seenRunning.current.has(op.id)));
    for (const op of list) if (op.state === 'running') seenRunning.current.add(op.id);
    return sortOperations(list);
  }, [byId, resource, kinds, dismissed]);

  if (shown.length === 0) return null;
  return (
    <section className="op-inline" aria-label={label}>
      {shown.map((op) => (
        <OperationItem
          key={op.id}
          op={op}
          showResource={!resource}
          onDismiss={op.state === 'running' ? undefined : () => setDismissed((d) => new Set(d).add(op.id))}
        />
      ))}
    </section>
  );
}
