import type { VGuardNodeEvents } from '../../node/index.ts'

/** Every event a node emits, in the order the dashboard lists them. */
export const EVENT_TYPES: ReadonlyArray<keyof VGuardNodeEvents> = [
  'peer:discovered', 'peer:connected', 'peer:disconnected', 'peer:rejected', 'peer:bootstrap-failed',
  'peer:cloned', 'identity:cloned',
  'chain:committed', 'write:settled',
  'replicate:progress', 'replicate:finished', 'backup:table', 'backup:released', 'storage:pruned',
  'node:stopped'
]
