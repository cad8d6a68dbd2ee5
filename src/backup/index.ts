/**
 * @packageDocumentation
 *
 * Backup tables (signed, epoch-numbered lists of who holds a chain), their
 * persisted store, and the choice of backups. No network code: the replicate,
 * release-forward and read-redirect protocols build on this.
 */
export * from './table.ts'
export * from './store.ts'
export * from './select.ts'
export * from './errors.ts'
