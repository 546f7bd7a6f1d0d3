// A labelled form of the VM Settings tab whose submit is one vm.update: Enter submits
// it, the browser's own validation stays out of the way of the helper's words.
import type { FormEvent, ReactNode } from 'react';

export function ActionForm({ label, className, onSubmit, children }: { label: string; className?: string; onSubmit: () => void; children: ReactNode }) {
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onSubmit();
  };
  return (
    <form className={className} aria-label={label} data-method="vm.update" noValidate onSubmit={submit}>
      {children}
    </form>
  );
}
