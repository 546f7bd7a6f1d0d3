// What a resource page shows for a resource a NovaFile project owns: "Project: NAME",
// linked to the Projects page when that project's file was opened there before, and,
// beside settings, that the project's next `nova up` (or Apply) puts the file's values
// back. Writing a change back into the NovaFile is not offered yet.
import { FolderTree } from 'lucide-react';
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

export function ProjectRevertNotice({ project, noun }: { project: string | null | undefined; noun: string }) {
  if (!project) return null;
  return (
    <p className="project-revert" role="note">
      This {noun} belongs to project {project}: a change made here is reverted by the project&apos;s next <code>nova up</code> (or Apply on the Projects page). To keep it, make it in the project&apos;s NovaFile.
    </p>
  );
}
