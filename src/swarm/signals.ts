/**
 * How long signal listeners stay once their work is done, in a process that
 * lives on: one that exits does so within milliseconds, and one that does not
 * (an in-process caller, a handle left open) must be stoppable by a signal
 * again. Removed at once, a repeat signal (npm, timeout and service managers
 * signal a whole process group) that came in the moments before the exit
 * took Node's default action and turned a clean stop's exit code 0 into 130
 * or 143.
 */
export const SETTLED_GRACE_MS = 10_000

/** Runs `remove` (taking signal listeners away) after SETTLED_GRACE_MS, without keeping the process alive. */
export function removeListenersLater (remove: () => void): void {
  setTimeout(remove, SETTLED_GRACE_MS).unref()
}
