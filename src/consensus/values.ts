/** Value helpers: equality (used to detect a decision made by a higher ballot) and copies. */
import type { Value } from './types.ts'

export function bytesEqual (a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) {
    return false
  }
  for (let i = 0; i < a.byteLength; i++) {
    if (a[i] !== b[i]) {
      return false
    }
  }
  return true
}

export function valuesEqual (a: Value, b: Value): boolean {
  switch (a.kind) {
    case 'data':
      return b.kind === 'data' && a.id === b.id && bytesEqual(a.data, b.data)
    case 'noop':
      return b.kind === 'noop'
    case 'booth':
      return b.kind === 'booth' && a.members.length === b.members.length && a.members.every((m, i) => m === b.members[i])
  }
}

export const NOOP: Value = Object.freeze({ kind: 'noop' })
