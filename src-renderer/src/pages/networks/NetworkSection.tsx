// One titled panel of a network's page (overview, attachments, leases, forwards, egress).
import type { ReactNode } from 'react';

export function NetworkSection({ title, children, id }: { title: string; children: ReactNode; id: string }) {
  return (
    <section className="panel" aria-labelledby={id}>
      <h2 id={id} className="panel__title">
        {title}
      </h2>
      {children}
    </section>
  );
}
