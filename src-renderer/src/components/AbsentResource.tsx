// What a resource's page says while the list has no such resource: that it is being
// made (its operation shows in place above this), or that there is none (any more).
import type { ResourceKind } from '../../../src-shared/operation.js';
import { useResourceBusy } from '../lib/use-resource-busy.js';

interface AbsentResourceProps {
  readonly kind: ResourceKind;
  readonly name: string;
  /** "VM", "capsule": how the sentence names the kind. */
  readonly noun: string;
  /** False until the list has been read once: nothing is said before. */
  readonly listed: boolean;
}

export function AbsentResource({ kind, name, noun, listed }: AbsentResourceProps) {
  const busy = useResourceBusy(kind, name);
  if (busy) {
    return (
      <p className="muted" role="status">
        {busy.status.replace(/…$/, '')} {name}… Its page fills in once it is ready.
      </p>
    );
  }
  if (!listed) return null;
  return (
    <p className="muted">
      There is no {noun} called {name} (any more). It may have been deleted.
    </p>
  );
}
