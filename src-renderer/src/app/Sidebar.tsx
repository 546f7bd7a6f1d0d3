// The sidebar: the app's name, one link per section (plain links, so Tab and Enter
// work with no extra code), the activity panel's switch and the connection indicator.
import { Hexagon } from 'lucide-react';
import { CommandPaletteButton } from '../components/CommandPalette.js';
import { ActivityButton } from './ActivityButton.js';
import { ConnectionIndicator } from './ConnectionIndicator.js';
import { HostSwitcher } from './HostSwitcher.js';
import { ROUTES, routeHref, type RouteId } from './routes.js';

export function Sidebar({ current }: { current: RouteId }) {
  return (
    <aside className="sidebar">
      <div className="sidebar__brand">
        <Hexagon aria-hidden="true" size={18} strokeWidth={2.25} />
        <span>Nova</span>
      </div>
      <HostSwitcher />
      <nav aria-label="Sections" className="sidebar__nav">
        <ul>
          {ROUTES.map((route) => {
            const Icon = route.icon;
            const active = route.id === current;
            return (
              <li key={route.id}>
                <a
                  href={routeHref(route.id)}
                  className={`sidebar__link${active ? ' sidebar__link--active' : ''}`}
                  aria-current={active ? 'page' : undefined}
                  title={route.label}
                >
                  <Icon aria-hidden="true" size={16} />
                  <span>{route.label}</span>
                  {route.soon && <span className="sidebar__soon">soon</span>}
                </a>
              </li>
            );
          })}
        </ul>
      </nav>
      <CommandPaletteButton />
      <ActivityButton />
      <ConnectionIndicator />
    </aside>
  );
}
