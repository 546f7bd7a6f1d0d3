// What a resource page shows for a resource a NovaFile project owns: "Project: NAME",
// linked to the Projects page when that project's file was opened there before, and,
// beside settings, that the project's next `nova up` (or Apply) puts the file's values
// back, with the way out: write the resource's current settings into the file's table
// (project.writeBack, which keeps the rest of the file as it was and refuses an edit that
// would not plan clean). Without a known file the page can only warn.
import { FileInput, FolderTree } from 'lucide-react';
import { useState } from 'react';
import type { ProjectWriteBack } from '../../../../src-shared/api/project-api.js';
import type { ProjectResourceKind } from '../../../../src-shared/project.js';
import { useServices } from '../../app/services.js';
import { loadRecent, pathOfProject, projectHref } from '../../lib/recent-projects.js';

export function ProjectOwnerLine({ project }: { project: string | null | undefined }) {
  if (!project) return null;
  const path = pathOfProject(loadRecent(), project);
  return (
    <p className="project-owner" data-testid="project-owner">
      <FolderTree aria-hidden="true" size={14} />
      Project: {path ? <a href={projectHref(path)}>{project}</a> : <span title="Open its NovaFile on the Projects page to link it here">{project}</span>}
    </p>
  );
}

type WriteBackState = { kind: 'idle' } | { kind: 'writing' } | { kind: 'done'; result: ProjectWriteBack } | { kind: 'failed'; message: string };

function describeResult(r: ProjectWriteBack): string {
  const written = r.written.map((w) => (w.value === null ? `${w.key} removed` : `${w.key} = ${w.value}`));
  const skipped = r.skipped.map((s) => `${s.field} not written: ${s.reason}`);
  if (written.length === 0) return ['Nothing to write: the NovaFile already says what this has.', ...skipped].join(' ');
  return [`Written to ${r.file}: ${written.join(', ')}.`, ...skipped].join(' ');
}

export function ProjectChangeNotice({ project, kind, name, noun }: { project: string | null | undefined; kind: ProjectResourceKind; name: string; noun: string }) {
  const { client } = useServices();
  const [state, setState] = useState<WriteBackState>({ kind: 'idle' });
  if (!project) return null;
  const path = pathOfProject(loadRecent(), project);
  const writeBack = async () => {
    if (!path || state.kind === 'writing') return;
    setState({ kind: 'writing' });
    try {
      setState({ kind: 'done', result: await client.call('project.writeBack', { path, kind, name }) });
    } catch (err) {
      setState({ kind: 'failed', message: err instanceof Error ? err.message : String(err) });
    }
  };
  return (
    <div className="project-revert" role="note" aria-label={`Project ${project}`}>
      <p>
        This {noun} belongs to project {project}: a change made here is reverted by the project&apos;s next <code>nova up</code> (or Apply on the Projects page) unless it is written to the project&apos;s NovaFile.
      </p>
      {path ? (
        <button type="button" className="button project-revert__write" data-method="project.writeBack" aria-disabled={state.kind === 'writing' ? true : undefined} onClick={() => void writeBack()}>
          <FileInput aria-hidden="true" size={14} />
          {state.kind === 'writing' ? 'Writing…' : 'Write this back to the NovaFile'}
        </button>
      ) : (
        <p className="muted">Open the project&apos;s NovaFile on the Projects page once to write changes back to it from here.</p>
      )}
      {state.kind === 'done' && (
        <p className="project-revert__result" role="status" data-testid="write-back-result">
          {describeResult(state.result)}
        </p>
      )}
      {state.kind === 'failed' && (
        <p className="text-fail" role="alert" data-testid="write-back-result">
          Not written: {state.message}
        </p>
      )}
    </div>
  );
}
