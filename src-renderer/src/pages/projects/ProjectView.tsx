// One opened project: its resources, its plan and the Apply and Down buttons, or the
// editor of its file (a switch between the two keeps each at full width). A file that
// does not validate opens in the editor, where its problems are marked.
import { ArrowDownToLine, FileText, LayoutList, Play } from 'lucide-react';
import { useEffect, useState } from 'react';
import { planHasChanges } from '../../../../src-shared/index.js';
import { ErrorPanel } from '../../components/ErrorPanel.js';
import { PageHeader } from '../../components/PageHeader.js';
import type { NovaClient } from '../../transport/nova-client.js';
import { announce } from '../../stores/toast-store.js';
import { downResultText, useDownConfirm } from './DownDialog.js';
import { NovaFileEditor } from './NovaFileEditor.js';
import { PlanDiff } from './PlanDiff.js';
import { ProjectResources } from './ProjectResources.js';
import { RunPanel } from './RunPanel.js';
import { useProject } from './use-project.js';

interface Props {
  readonly client: NovaClient;
  readonly path: string;
  readonly onOpened: (file: string, project: string | null) => void;
}

type Tab = 'overview' | 'editor';

export function ProjectView({ client, path, onOpened }: Props) {
  const { state, open, run, cancel, saved } = useProject(client, path);
  const [tab, setTab] = useState<Tab>('overview');
  const { askDown, dialog: downDialog } = useDownConfirm();
  const opened = state.opened;
  const project = opened?.validation.summary?.project ?? opened?.plan?.project ?? null;

  useEffect(() => {
    if (!opened) return;
    onOpened(opened.file, project);
    if (!opened.validation.valid) setTab('editor');
    // Keyed on the file, so a refresh of the same file does not switch the tab back.
  }, [opened?.file]);

  if (!opened) {
    return (
      <>
        <PageHeader title="Project" subtitle={path} />
        <div className="page-body">{state.error ? <ErrorPanel context={`Could not open ${path}`} error={state.error} onRetry={() => void open()} busy={state.loading} /> : <p className="muted">Reading the NovaFile…</p>}</div>
      </>
    );
  }

  const busy = state.running !== null;
  const down = async (): Promise<void> => {
    const name = project ?? opened.file;
    const answer = await askDown(name, state.rows ?? []);
    if (!answer) return;
    const result = await run('down', answer.volumes);
    if (result?.action === 'down') {
      const words = downResultText(name, result.outcome);
      announce(words.text, words.detail);
    }
  };
  const canApply = !busy && opened.validation.valid && state.plan !== null && planHasChanges(state.plan);
  return (
    <>
      <PageHeader
        title={project ? `Project ${project}` : 'Project'}
        subtitle={opened.file}
        actions={
          <>
            <a className="button" href="#/projects">
              Open another
            </a>
            <button type="button" className="button" data-method="project.down" aria-disabled={busy || !opened.validation.valid} onClick={() => !busy && opened.validation.valid && void down()}>
              <ArrowDownToLine aria-hidden="true" size={14} />
              Down
            </button>
            <button type="button" className="button button--primary" data-method="project.up" aria-disabled={!canApply} onClick={() => canApply && void run('up')}>
              <Play aria-hidden="true" size={14} />
              Apply
            </button>
          </>
        }
      />
      <div className="page-body">
        <div className="view-switch project-view-switch" role="group" aria-label="Project view">
          <button type="button" className="view-switch__item" aria-pressed={tab === 'overview'} onClick={() => setTab('overview')}>
            <LayoutList aria-hidden="true" size={14} />
            Plan and resources
          </button>
          <button type="button" className="view-switch__item" aria-pressed={tab === 'editor'} onClick={() => setTab('editor')}>
            <FileText aria-hidden="true" size={14} />
            Edit file
          </button>
        </div>
        <RunPanel state={state} onCancel={() => void cancel()} />
        {state.error && <ErrorPanel context="Could not refresh the project" error={state.error} />}
        {tab === 'overview' ? (
          <>
            <section className="project-section" aria-label="Plan" data-method="project.plan">
              <h2 className="project-section__title">Plan</h2>
              {!opened.validation.valid ? (
                <p className="text-fail">The file has problems; fix them in the editor to see the plan.</p>
              ) : opened.planError ? (
                <ErrorPanel context="Could not plan" error={opened.planError} />
              ) : state.plan ? (
                <PlanDiff plan={state.plan} />
              ) : null}
            </section>
            <section className="project-section" aria-label="Resources">
              <h2 className="project-section__title">Resources</h2>
              {state.rows ? <ProjectResources rows={state.rows} /> : <p className="muted">Reading what runs…</p>}
            </section>
          </>
        ) : (
          <NovaFileEditor client={client} file={opened.file} savedText={opened.text} savedValidation={opened.validation} onSaved={saved} />
        )}
      </div>
      {downDialog}
    </>
  );
}
