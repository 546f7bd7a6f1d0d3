// What an OCI image starts as (`ociImage.inspect`): the process a capsule runs when it
// names no command of its own, its environment, user, folder and ports. Read when the
// row is opened, so the list stays one call however many images there are.
import { useEffect, useState, type ReactNode } from 'react';
import type { OciImage } from '../../../../src-shared/capsule.js';
import { toErrorShape, type ErrorShape } from '../../../../src-shared/errors.js';
import { useServices } from '../../app/services.js';
import { errorWords } from '../../lib/error-words.js';
import { formatBytes } from '../../lib/vm-format.js';

/** A command line as a shell would take it back: words with spaces quoted. */
function commandLine(words: readonly string[]): string {
  return words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export function OciImageDetails({ name }: { readonly name: string }) {
  const { client } = useServices();
  const [image, setImage] = useState<OciImage | null>(null);
  const [error, setError] = useState<ErrorShape | null>(null);
  useEffect(() => {
    let live = true;
    client.call('ociImage.inspect', { name }).then(
      (img) => live && setImage(img),
      (err: unknown) => live && setError(toErrorShape(err)),
    );
    return () => {
      live = false;
    };
  }, [client, name]);
  if (error) {
    const words = errorWords(error);
    return (
      <p className="text-fail" role="alert">
        {words.title}: {words.sentence} {words.next}
      </p>
    );
  }
  if (!image) return <p className="muted">Reading the image…</p>;
  const { config } = image;
  const none = <span className="muted">none</span>;
  const rows: ReadonlyArray<readonly [string, ReactNode]> = [
    ['Entrypoint', config.entrypoint.length ? <code>{commandLine(config.entrypoint)}</code> : none],
    ['Command', config.cmd.length ? <code>{commandLine(config.cmd)}</code> : none],
    ['Environment', config.env.length ? <ul className="plain-list">{config.env.map((e) => <li key={e}><code>{e}</code></li>)}</ul> : none],
    ['Working folder', config.workdir ? <code>{config.workdir}</code> : <span className="muted">/ (not set)</span>],
    ['User', config.user ? <code>{config.user}</code> : <span className="muted">root (not set)</span>],
    ['Exposed ports', config.exposedPorts.length ? config.exposedPorts.join(', ') : none],
    ['Size', formatBytes(image.sizeBytes)],
    ['Digest', <code key="d">{image.digest}</code>],
  ];
  return (
    <dl className="detail-list" aria-label={`Details of ${name}`}>
      {rows.map(([term, value]) => (
        <div key={term} className="detail-list__row">
          <dt>{term}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}
