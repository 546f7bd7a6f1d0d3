// The app's home: the host's graphs, every guest with state, health and a CPU sparkline,
// the networks with their guests, running and recent operations and the host check's
// findings. Cheap to keep open: one list read per kind, refreshed on events, the host
// report from the host store's cache, and history reads only for what is on screen.
import { useEffect, useMemo } from 'react';
import { useStore } from 'zustand';
import '../../styles/vms.css';
import '../../styles/dashboard.css';
import { useServices } from '../../app/services.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { PageHeader } from '../../components/PageHeader.js';
import { dashboardOperations, guestRows, hostFindings, networkSummaries } from '../../lib/dashboard-summary.js';
import { networkStoreFor } from '../../stores/network-store.js';
import { HostFindingsPanel, NetworkPanel, OperationsPanel } from './DashboardPanels.js';
import { SnapshotSchedulesPanel } from './SnapshotSchedulesPanel.js';
import { EmptyGuests, GuestList } from './GuestList.js';
import { DemoOffer } from './DemoOffer.js';
import { HostGraphs } from './HostGraphs.js';
import { useDemoRun } from './use-demo-run.js';
import { useGuestLists } from './use-guest-lists.js';

export function DashboardPage() {
  const { client, host, operations } = useServices();
  const networkStore = useMemo(() => networkStoreFor(client), [client]);
  const networks = useStore(networkStore, (s) => s.networks);
  const loadNetworks = useStore(networkStore, (s) => s.load);
  const report = useStore(host, (s) => s.report);
  const hostError = useStore(host, (s) => s.error);
  const byId = useStore(operations, (s) => s.byId);
  const opsLoaded = useStore(operations, (s) => s.loaded);
  const { vms, capsules, error } = useGuestLists();
  const demo = useDemoRun(client);

  useEffect(() => {
    void loadNetworks();
  }, [loadNetworks]);
  useEffect(() => {
    // The cached report is enough here; only the Host page's Re-check probes afresh.
    const state = host.getState();
    if (!state.report && !state.error) void state.load();
  }, [host]);

  const rows = useMemo(() => (vms && capsules ? guestRows(vms, capsules) : null), [vms, capsules]);
  const nets = useMemo(() => (networks ? networkSummaries(networks) : null), [networks]);
  const ops = useMemo(() => dashboardOperations(byId), [byId]);
  const findings = useMemo(() => hostFindings(report), [report]);
  // Offered on a host with nothing on it; kept on screen while (and after) it runs.
  const empty = rows !== null && rows.length === 0 && nets !== null && nets.length === 0;
  const offerDemo = empty || demo.status !== 'idle';

  return (
    <>
      <PageHeader title="Dashboard" subtitle="The host, its guests and networks, and what Nova is doing." />
      <div className="page-body dash-grid">
        {offerDemo && <DemoOffer demo={demo} />}
        <HostGraphs />
        <section className="dash-panel dash-panel--wide" aria-labelledby="dash-guests-title">
          <div className="dash-panel__head">
            <h2 id="dash-guests-title" className="dash-panel__title">
              Guests
            </h2>
          </div>
          {error && <ErrorPanel context="Could not list the guests" error={error} />}
          {rows === null ? <p className="muted dash-placeholder">Reading guests…</p> : rows.length === 0 ? <EmptyGuests /> : <GuestList rows={rows} />}
        </section>
        <NetworkPanel networks={nets} />
        <OperationsPanel operations={ops} loaded={opsLoaded} />
        <HostFindingsPanel findings={findings} checked={report !== null || hostError !== null} />
        <SnapshotSchedulesPanel />
      </div>
    </>
  );
}
