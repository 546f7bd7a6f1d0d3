// The app shell: sidebar plus the current page, and the activity panel beside it when
// open. After in-app navigation, focus moves to the new page's heading so keyboard and
// screen-reader users land on the content. The pages serve the host chosen in the
// switcher: for a saved host they get that host's services and are mounted afresh.
import { useEffect, useRef, useState } from 'react';
import { useStore } from 'zustand';
import { CommandPalette } from '../components/CommandPalette.js';
import { CapsulesPage } from '../pages/capsules/CapsulesPage.js';
import { ComingSoonPage } from '../pages/ComingSoonPage.js';
import { DashboardPage } from '../pages/dashboard/DashboardPage.js';
import { DevicesPage } from '../pages/devices/DevicesPage.js';
import { HostPage } from '../pages/host/HostPage.js';
import { HostsPage } from '../pages/hosts/HostsPage.js';
import { ImagesPage } from '../pages/images/ImagesPage.js';
import { NetworksPage } from '../pages/networks/NetworksPage.js';
import { ProjectsPage } from '../pages/projects/ProjectsPage.js';
import { VmsPage } from '../pages/vms/VmsPage.js';
import { Toasts } from '../components/Toasts.js';
import { ActivityPanel } from './ActivityPanel.js';
import { LOCAL_HOST } from '../transport/nova-client.js';
import { HostBanner } from './HostBanner.js';
import { createServices, ServicesContext, useServices, type Services } from './services.js';
import { ROUTES } from './routes.js';
import { Sidebar } from './Sidebar.js';
import { useRoute } from './use-route.js';

export function App() {
  const route = useRoute();
  const services = useServices();
  const activityOpen = useStore(services.operations, (s) => s.panel.open);
  const host = useStore(services.hostChoice, (s) => s.current);
  const [hostServices, setHostServices] = useState<Services | null>(null);
  useEffect(() => {
    if (host === LOCAL_HOST) return setHostServices(null);
    const made = createServices(services.client.withHost(host), { hostChoice: services.hostChoice });
    setHostServices(made);
    return () => made.dispose();
  }, [host, services]);
  // A saved host that comes back is read afresh: its pages mount again over the new link.
  const linkUp = useStore(services.hostChoice, (s) => host === LOCAL_HOST || s.links[host]?.state === 'connected');
  const [epoch, setEpoch] = useState(0);
  const wasUp = useRef(linkUp);
  useEffect(() => {
    if (linkUp && !wasUp.current) setEpoch((e) => e + 1);
    wasUp.current = linkUp;
  }, [linkUp]);
  // Until the chosen host's services exist, nothing is shown rather than this machine's.
  const pageServices = host === LOCAL_HOST ? services : hostServices?.client.host === host ? hostServices : null;
  const main = useRef<HTMLElement>(null);
  const shownRoute = useRef(route);

  useEffect(() => {
    const def = ROUTES.find((r) => r.id === route);
    document.title = def ? `${def.label} · Nova` : 'Nova';
    // Compare with the route last shown rather than "first render", which StrictMode repeats.
    if (shownRoute.current === route) return;
    shownRoute.current = route;
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [route]);

  const def = ROUTES.find((r) => r.id === route);
  return (
    <div className={`shell${activityOpen ? ' shell--activity' : ''}`}>
      {/* Handled here: letting the browser follow #main would replace the #/route hash. */}
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          main.current?.focus();
        }}
      >
        Skip to content
      </a>
      <Sidebar current={route} />
      {pageServices && (
        <ServicesContext value={pageServices}>
          <main id="main" ref={main} className="main" tabIndex={-1} key={`${host}#${epoch}`} data-host={host}>
            <HostBanner />
            {route === 'dashboard' || !def ? (
              <DashboardPage />
            ) : route === 'host' ? (
              <HostPage />
            ) : route === 'hosts' ? (
              <HostsPage />
            ) : route === 'projects' ? (
              <ProjectsPage />
            ) : route === 'networks' ? (
              <NetworksPage />
            ) : route === 'vms' ? (
              <VmsPage />
            ) : route === 'capsules' ? (
              <CapsulesPage />
            ) : route === 'images' ? (
              <ImagesPage />
            ) : route === 'devices' ? (
              <DevicesPage />
            ) : (
              <ComingSoonPage key={def.id} route={def} />
            )}
          </main>
        </ServicesContext>
      )}
      <ActivityPanel />
      <CommandPalette />
      <Toasts />
    </div>
  );
}
