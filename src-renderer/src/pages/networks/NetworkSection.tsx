// One titled panel of a network's page (overview, attachments, leases, forwards, egress).
import type { ReactNode } from 'react';

/** `method`: the helper method whose answer the section shows (the parity table finds it there). */
export function NetworkSection({ title, children, id, method }: { title: string; children: ReactNode; id: string; method?: string }) {
  return (
    <section className="panel" aria-labelledby={id} data-method={method}>
      <h2 id={id} className="panel__title">
        {title}
      </h2>
      {children}
    </section>
  );
}
