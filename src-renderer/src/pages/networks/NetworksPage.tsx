// The Networks section: the list and the topology as two views of the same store, one
// network's page at #/networks/NAME, and the create dialog. The store re-reads on
// network.changed, so a change made anywhere (CLI, NovaFile, another window) shows here.
import { List, LoaderCircle, Plus, Workflow } from 'lucide-react';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { useStore } from 'zustand';
import '../../styles/networks.css';
import { useServices } from '../../app/services.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { PageHeader } from '../../components/PageHeader.js';
import { networkTopologyHref, networksListHref, networksViewFromHash, type NetworksView } from '../../lib/network-route.js';
import { networkStoreFor } from '../../stores/network-store.js';
import { CreateNetworkDialog } from './CreateNetworkDialog.js';
import { NetworkDetail } from './NetworkDetail.js';
import { NetworkList } from './NetworkList.js';
import { TopologyView } from './TopologyView.js';

function subscribeHash(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

function useNetworksView(): NetworksView {
  const hash = useSyncExternalStore(subscribeHash, () => window.location.hash);
  return networksViewFromHash(hash);
}

export function NetworksPage() {
  const { client } = useServices();
  const store = networkStoreFor(client);
  const networks = useStore(store, (s) => s.networks);
  const broken = useStore(store, (s) => s.broken);
  const loading = useStore(store, (s) => s.loading);
  const error = useStore(store, (s) => s.error);
  const load = useStore(store, (s) => s.load);
  const create = useStore(store, (s) => s.create);
  const remove = useStore(store, (s) => s.remove);
  const addForward = useStore(store, (s) => s.addForward);
  const removeForward = useStore(store, (s) => s.removeForward);
  const view = useNetworksView();
  const [creating, setCreating] = useState(false);

  useEffect(() => {
    void load();
  }, [load]);

  // Moving between the list, the topology and a network's page is navigation too: as the
  // shell does between sections, land keyboard and screen-reader users on the new heading.
  const viewKey = view.view === 'detail' ? `detail:${view.name}` : view.view;
  const shownView = useRef(viewKey);
  useEffect(() => {
    if (shownView.current === viewKey) return;
    shownView.current = viewKey;
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [viewKey]);

  if (view.view === 'detail') {
    const network = networks?.find((n) => n.name === view.name);
    if (network) return <NetworkDetail key={network.name} network={network} actions={{ remove, addForward, removeForward }} />;
    return (
      <>
        <PageHeader title={view.name} subtitle="Network" />
        <div className="page-body">
          {error ? (
            <ErrorPanel context={`Could not read network ${view.name}`} error={error} onRetry={() => void load()} busy={loading} />
          ) : networks === null ? (
            <p className="muted">Reading networks…</p>
          ) : (
            <div className="empty-state">
              <p className="empty-state__title">No network named {view.name}</p>
              <p className="muted">
                It may have been deleted. <a href={networksListHref()}>See all networks</a>.
              </p>
            </div>
          )}
        </div>
      </>
    );
  }

  const topology = view.view === 'topology';
  return (
    <>
      <PageHeader
        title="Networks"
        subtitle="NAT, LAN, isolated and overlay networks, and what is attached to each."
        actions={
          <>
            {loading && <LoaderCircle className="spin muted" aria-label="Refreshing" size={16} />}
            <nav className="view-switch" aria-label="Networks view">
              <a href={networksListHref()} className="view-switch__item" aria-current={topology ? undefined : 'page'}>
                <List aria-hidden="true" size={14} />
                List
              </a>
              <a href={networkTopologyHref()} className="view-switch__item" aria-current={topology ? 'page' : undefined}>
                <Workflow aria-hidden="true" size={14} />
                Topology
              </a>
            </nav>
            <button type="button" className="button button--primary" data-method="network.create network.suggestSubnet" onClick={() => setCreating(true)}>
              <Plus aria-hidden="true" size={14} />
              Create network
            </button>
          </>
        }
      />
      <div className={`page-body${topology ? ' page-body--wide' : ''}`} aria-busy={loading}>
        {error && (
          <ErrorPanel context={networks ? 'Could not refresh the networks; showing the last list' : 'Could not read the networks'} error={error} onRetry={() => void load()} busy={loading} />
        )}
        {networks === null && !error && <p className="muted">Reading networks…</p>}
        {networks && (topology ? <TopologyView networks={networks} /> : <NetworkList networks={networks} broken={broken} />)}
      </div>
      <CreateNetworkDialog open={creating} onClose={() => setCreating(false)} onCreate={create} onCreated={() => setCreating(false)} />
    </>
  );
}
