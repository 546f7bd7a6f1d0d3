// The OS osinfo-db recognises on an ISO of the library, asked once per row when shown
// (image.detectOs reads the ISO's volume descriptor; a second or so per ISO at most).
import { useEffect, useState } from 'react';
import { useServices } from '../../app/services.js';

export function DetectedOs({ path }: { readonly path: string }) {
  const { client } = useServices();
  const [os, setOs] = useState<string | null | undefined>(undefined);
  useEffect(() => {
    let live = true;
    client.call('image.detectOs', { path }).then(
      (profile) => live && setOs(profile?.name ?? null),
      () => live && setOs(null),
    );
    return () => {
      live = false;
    };
  }, [client, path]);
  // The cell is what calls image.detectOs: it carries the method for the parity table.
  if (os === undefined)
    return (
      <span className="muted" data-method="image.detectOs">
        detecting…
      </span>
    );
  return os === null ? (
    <span className="muted" data-method="image.detectOs">
      not recognised
    </span>
  ) : (
    <span data-method="image.detectOs">{os}</span>
  );
}
