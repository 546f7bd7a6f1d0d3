// Progress in place: the operations running on a resource (or on any resource of some
// kinds, for the Images page), shown on that resource's page with their Cancel buttons.
// One that ends while the page is open stays, saying how it ended, until dismissed.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useStore } from 'zustand';
import type { Operation, ResourceKind, ResourceRef } from '../../../src-shared/operation.js';
import { useServices } from '../app/services.js';
import { sortOperations } from '../lib/operation-format.js';
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
  const kind = resource?.kind;
  const name = resource?.name;
  const kindList = kinds?.join(' ');
  const mine = useCallback(
    (op: Operation) => (kind !== undefined ? op.resource.kind === kind && op.resource.name === name : (kindList ?? '').split(' ').includes(op.resource.kind)),
    [kind, name, kindList],
  );

  // Every change is looked at, not only those rendered: a quick operation may start and
  // end between two renders, and one that ran while the page was open still belongs here.
  useEffect(
    () =>
      operations.subscribe((s) => {
        for (const op of Object.values(s.byId)) if (op.state === 'running' && mine(op)) seenRunning.current.add(op.id);
      }),
    [operations, mine],
  );

  const shown = useMemo(() => {
    const list = Object.values(byId).filter((op) => mine(op) && !dismissed.has(op.id) && (op.state === 'running' || seenRunning.current.has(op.id)));
    for (const op of list) if (op.state === 'running') seenRunning.current.add(op.id);
    return sortOperations(list);
  }, [byId, mine, dismissed]);

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
