// The Virtual machines section: the list, the create wizard and each VM's page,
// chosen by the URL hash. The section's store lives as long as the section is open.
import { useEffect, useMemo, useSyncExternalStore } from 'react';
import { useServices } from '../../app/services.js';
import { vmViewFromHash } from '../../lib/vm-route.js';
import { createVmStore } from '../../stores/vm-store.js';
import '../../styles/vms.css';
import { VmStoreContext } from './vm-context.js';
import { VmCreateWizard } from './VmCreateWizard.js';
import { VmDetailPage } from './VmDetailPage.js';
import { VmListView } from './VmListView.js';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function VmsPage() {
  const { client } = useServices();
  const vms = useMemo(() => createVmStore(client), [client]);
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  const view = vmViewFromHash(hash);

  useEffect(() => {
    void vms.store.getState().load();
    return vms.dispose;
  }, [vms]);

  return (
    <VmStoreContext value={vms.store}>
      {view.kind === 'list' && <VmListView />}
      {view.kind === 'create' && <VmCreateWizard />}
      {view.kind === 'vm' && <VmDetailPage key={view.name} name={view.name} tab={view.tab} />}
    </VmStoreContext>
  );
}
