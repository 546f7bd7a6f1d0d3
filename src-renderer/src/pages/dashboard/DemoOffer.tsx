// "Start the demo" on a host with nothing on it yet: runs the demo project's up (a tiny
// VM, a capsule and a NAT network, made from Debian packages on first use) with its
// progress, then points at the guests, which the list shows as they come up.
import { Play, Square } from 'lucide-react';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { projectHref } from '../../lib/recent-projects.js';
import type { DemoRun } from './use-demo-run.js';

export function DemoOffer({ demo }: { demo: DemoRun }) {
  const { status, lines, outcome, error, file } = demo;
  if (!file) return null;
  return (
    <section className="dash-panel dash-panel--wide dash-demo" aria-labelledby="dash-demo-title" data-demo={status}>
      <div className="dash-panel__head">
        <h2 id="dash-demo-title" className="dash-panel__title">
          Try the demo
        </h2>
      </div>
      <p className="muted">
        A tiny Linux VM, a capsule serving a web page and a NAT network between them. The first start builds the VM&apos;s kernel and the capsule&apos;s image from
        Debian packages (about a minute); later starts take seconds.
      </p>
      <div className="dash-empty__actions dash-demo__actions">
        {status === 'running' ? (
          <button type="button" className="button" onClick={demo.cancel}>
            <Square aria-hidden="true" size={16} /> Cancel
          </button>
        ) : (
          <button type="button" className="button button--primary" onClick={demo.start}>
            <Play aria-hidden="true" size={16} /> {status === 'idle' ? 'Start the demo' : 'Start the demo again'}
          </button>
        )}
        <a className="button" href={projectHref(file)}>
          Open the project
        </a>
      </div>
      {status === 'running' && (
        <p role="status" className="dash-demo__status">
          Starting the demo…
        </p>
      )}
      {status === 'done' && (
        <p role="status" className="dash-demo__status">
          The demo is up: its guests are listed below.
        </p>
      )}
      {error && <ErrorPanel context="The demo did not start" error={error} />}
      {outcome && outcome.failed.length > 0 && (
        <ul className="dash-demo__failed">
          {outcome.failed.map((f) => (
            <li key={`${f.kind}:${f.name}`}>
              {f.kind} {f.name}: {f.message}
            </li>
          ))}
        </ul>
      )}
      {lines.length > 0 && (
        <pre className="dash-demo__log" role="log" aria-label="Demo progress">
          {lines.slice(-12).join('\n')}
        </pre>
      )}
    </section>
  );
}
