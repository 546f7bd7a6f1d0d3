// Adoption: a resource made outside any project becomes a project's (nova export --adopt),
// so `nova plan` and `nova up` manage it from then on. One of another project is refused.
import { NovaError } from '../../../src-shared/errors.js';

export function checkAdoptable(kind: string, name: string, owner: string | undefined | null, project: string): void {
  if (owner && owner !== project) {
    throw new NovaError('failed_precondition', `${kind} ${name} belongs to project ${owner}; project ${project} cannot adopt it (nova down that project, or export it as ${owner})`);
  }
}
