// Placeholder for a section that is planned but not built yet: says so plainly and
// what it will offer, and points at what works today.
import { PageHeader } from '../components/PageHeader.js';
import { routeHref, type RouteDef } from '../app/routes.js';

export function ComingSoonPage({ route }: { route: RouteDef }) {
  const Icon = route.icon;
  return (
    <>
      <PageHeader title={route.label} />
      <div className="page-body">
        <section className="coming-soon" aria-label={`${route.label}: coming soon`}>
          <Icon className="coming-soon__icon" aria-hidden="true" size={36} strokeWidth={1.5} />
          <p className="coming-soon__badge">Coming soon</p>
          <p className="coming-soon__text">{route.blurb}</p>
          <p className="coming-soon__hint">
            Meanwhile, the <a href={routeHref('host')}>Host page</a> shows what this machine is ready to run.
          </p>
        </section>
      </div>
    </>
  );
}
