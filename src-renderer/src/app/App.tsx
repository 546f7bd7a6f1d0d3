// The app shell: sidebar plus the current page. After in-app navigation, focus moves
// to the new page's heading so keyboard and screen-reader users land on the content.
import { useEffect, useRef } from 'react';
import { CapsulesPage } from '../pages/capsules/CapsulesPage.js';
import { ComingSoonPage } from '../pages/ComingSoonPage.js';
import { HostPage } from '../pages/host/HostPage.js';
import { NetworksPage } from '../pages/networks/NetworksPage.js';
import { VmsPage } from '../pages/vms/VmsPage.js';
import { ROUTES } from './routes.js';
import { Sidebar } from './Sidebar.js';
import { useRoute } from './use-route.js';

export function App() {
  const route = useRoute();
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
    <div className="shell">
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
        {route === 'host' || !def ? (
          <HostPage />
        ) : route === 'networks' ? (
          <NetworksPage />
        ) : route === 'vms' ? (
          <VmsPage />
        ) : route === 'capsules' ? (
          <CapsulesPage />
        ) : (
          <ComingSoonPage key={def.id} route={def} />
        )}
      </main>
    </div>
  );
}
