// The app shell: sidebar plus the current page, and the activity panel beside it when
// open. After in-app navigation, focus moves to the new page's heading so keyboard and
// screen-reader users land on the content.
import { useEffect, useRef } from 'react';
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
import { useServices } from './services.js';
import { ROUTES } from './routes.js';
import { Sidebar } from './Sidebar.js';
import { useRoute } from './use-route.js';

export function App() {
  const route = useRoute();
  const activityOpen = useStore(useServices().operations, (s) => s.panel.open);
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
      <main id="main" ref={main} className="main" tabIndex={-1}>
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
      <ActivityPanel />
      <CommandPalette />
      <Toasts />
    </div>
  );
}
