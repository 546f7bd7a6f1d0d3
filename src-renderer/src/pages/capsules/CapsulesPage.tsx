// The Capsules section: the list (with its create dialog) and each capsule's page,
// chosen by the URL hash. The section's store, and its metrics polling, live as long
// as the section is open.
import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { useServices } from '../../app/services.js';
import { capsuleViewFromHash } from '../../lib/capsule-route.js';
import { createCapsuleStore } from '../../stores/capsule-store.js';
import '../../styles/vms.css';
import '../../styles/networks.css';
import '../../styles/capsules.css';
import { CapsuleStoreContext } from './capsule-context.js';
import { CapsuleDetail } from './CapsuleDetail.js';
import { CapsuleList } from './CapsuleList.js';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function CapsulesPage() {
  const { client, operations } = useServices();
  const capsules = useMemo(() => createCapsuleStore(client, operations), [client, operations]);
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  const view = capsuleViewFromHash(hash);

  useEffect(() => {
    void capsules.store.getState().load();
    void capsules.store.getState().loadImages();
    return capsules.dispose;
  }, [capsules]);

  return (
    <CapsuleStoreContext value={capsules.store}>
      {view.kind === 'list' && <CapsuleList />}
      {view.kind === 'capsule' && <CapsuleDetail key={view.name} name={view.name} tab={view.tab} />}
    </CapsuleStoreContext>
  );
}
