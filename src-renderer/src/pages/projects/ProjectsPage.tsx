// The Projects section: open a NovaFile by its path on the host (or pick a recent one),
// then the project's page at #/projects?path=... so a reload or a link lands back on it.
// Recent paths live in localStorage: paths and project names only.
import { FolderOpen } from 'lucide-react';
import { useState, useSyncExternalStore } from 'react';
import '../../styles/networks.css';
import '../../styles/projects.css';
import { useServices } from '../../app/services.js';
import { PageHeader } from '../../components/PageHeader.js';
import type { NovaClient } from '../../transport/nova-client.js';
import { loadRecent, projectHref, projectPathFromHash, rememberProject, saveRecent, type RecentProject } from '../../lib/recent-projects.js';
import { ExportPanel } from './ExportPanel.js';
import { ProjectView } from './ProjectView.js';

function subscribeHash(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function ProjectsPage() {
  const { client } = useServices();
  const path = projectPathFromHash(useSyncExternalStore(subscribeHash, () => window.location.hash));
  const [recent, setRecent] = useState<RecentProject[]>(() => loadRecent());
  const onOpened = (file: string, project: string | null) => {
    setRecent((list) => {
      const next = rememberProject(list, { path: file, project });
      saveRecent(next);
      return next;
    });
  };
  if (path) return <ProjectView key={path} client={client} path={path} onOpened={onOpened} />;
  return <OpenProject client={client} recent={recent} />;
}

function OpenProject({ client, recent }: { client: NovaClient; recent: readonly RecentProject[] }) {
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <>
      <PageHeader title="Projects" subtitle="A NovaFile brings up networks, VMs and capsules together: see its plan, apply it, edit it." />
      <div className="page-body">
        <form
          className="project-open"
          data-method="project.open"
          onSubmit={(e) => {
            e.preventDefault();
            const p = value.trim();
            if (!p.startsWith('/')) {
              setProblem('Give an absolute path on this host, e.g. /home/me/lab/NovaFile.toml, or the folder holding NovaFile.toml.');
              return;
            }
            window.location.hash = projectHref(p);
          }}
        >
          <label className="project-open__label" htmlFor="project-path">
            NovaFile or project folder
          </label>
          <div className="project-open__row">
            <input
              id="project-path"
              className="project-open__input"
              type="text"
              placeholder="/home/me/lab/NovaFile.toml"
              value={value}
              aria-invalid={problem !== null}
              aria-describedby={problem ? 'project-path-problem' : undefined}
              onChange={(e) => {
                setValue(e.target.value);
                setProblem(null);
              }}
              spellCheck={false}
              autoComplete="off"
            />
            <button type="submit" className="button button--primary">
              <FolderOpen aria-hidden="true" size={14} />
              Open
            </button>
          </div>
          <p id="project-path-problem" className="text-fail project-open__problem" role={problem ? 'alert' : undefined}>
            {problem ?? ''}
          </p>
        </form>
        <section className="project-section" aria-label="Recently opened">
          <h2 className="project-section__title">Recently opened</h2>
          {recent.length === 0 ? (
            <p className="muted">None yet.</p>
          ) : (
            <ul className="project-recent">
              {recent.map((r) => (
                <li key={r.path}>
                  <a href={projectHref(r.path)}>{r.project ?? '(not valid when last opened)'}</a> <span className="project-mono muted">{r.path}</span>
                </li>
              ))}
            </ul>
          )}
        </section>
        <ExportPanel client={client} />
      </div>
    </>
  );
}
