// What the parity table names that this branch does not have yet: controls and commands
// built on other branches in the same session. Both lists are emptied as those branches
// merge; parity-table.test.ts fails on an entry that has arrived, so they only shrink,
// and e2e/parity.spec.ts does not look for a pending control.

/**
 * Controls built on other branches this session, whose `data-method` is not in this
 * branch's renderer yet. Emptied when those branches merge: a token listed here that the
 * renderer already carries fails the test, so the list only shrinks.
 */
export const PENDING_UI: Readonly<Record<string, string>> = {
};

/**
 * Commands and methods other branches add this session, named as their work describes
 * them; the table has their rows already. Emptied at merge: a name listed here that
 * exists fails the test, and a row whose name exists nowhere (a guess that came out
 * differently) fails too once it is no longer listed.
 */
export const PENDING_CAPABILITIES: readonly string[] = [
];
