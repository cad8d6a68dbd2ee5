/**
 * A replica's meta record, kept beside its Paxos state: what a restart needs
 * that the state machine does not hold. Where the chain store stands (the
 * cursor), the point its snapshots name, whether its votes were lost, and,
 * for a member, what its vehicle told it. One small JSON value.
 */
import { fromHex, toHex } from '../chain/index.ts'
import type { LevelPaxosStorage } from '../storage/paxos-store.ts'
import type { Cursor } from './replica-types.ts'

export interface ReplicaMeta {
  cursor: Cursor
  /** Where the chain stood at the slot the log is compacted to: the point our snapshots name. */
  compactPoint?: Cursor
  /** member: the newest point its vehicle named (kept across a restart, see ReplicaCompaction.compactMember). */
  ownerPoint?: Cursor
  /** own (and shared, see ReplicaSetup.forgotVotes): its Paxos state was lost (PaxosConfig.forgotVotes) and it has not led since. */
  forgotVotes?: boolean
  /** member: how far its vehicle said its backups hold the chain (ChainMessage.held): the log above it is kept. */
  ownerHeld?: number
}

/** A point as stored: the hash in hex, which JSON carries as it is. */
interface StoredPoint { slot: number, height: number, hash: string }

interface StoredMeta {
  cursor: StoredPoint
  compactPoint?: StoredPoint
  ownerPoint?: StoredPoint
  forgotVotes?: boolean
  ownerHeld?: number
}

const utf8 = new TextEncoder()
const utf8d = new TextDecoder()

const stored = (c: Cursor): StoredPoint => ({ slot: c.slot, height: c.height, hash: toHex(c.hash) })
const point = (j: StoredPoint): Cursor => ({ slot: j.slot, height: j.height, hash: fromHex(j.hash) })

export async function readMeta (storage: LevelPaxosStorage): Promise<ReplicaMeta | undefined> {
  const bytes = await storage.getMeta()
  if (bytes == null) return undefined
  const j = JSON.parse(utf8d.decode(bytes)) as StoredMeta
  return {
    cursor: point(j.cursor),
    ...(j.compactPoint != null ? { compactPoint: point(j.compactPoint) } : {}),
    ...(j.ownerPoint != null ? { ownerPoint: point(j.ownerPoint) } : {}),
    ...(j.forgotVotes === true ? { forgotVotes: true } : {}),
    ...(j.ownerHeld != null ? { ownerHeld: j.ownerHeld } : {})
  }
}

export async function writeMeta (storage: LevelPaxosStorage, meta: ReplicaMeta, options: { sync: boolean }): Promise<void> {
  const j: StoredMeta = { cursor: stored(meta.cursor) }
  if (meta.compactPoint != null) j.compactPoint = stored(meta.compactPoint)
  if (meta.ownerPoint != null) j.ownerPoint = stored(meta.ownerPoint)
  if (meta.forgotVotes === true) j.forgotVotes = true
  if (meta.ownerHeld != null) j.ownerHeld = meta.ownerHeld
  await storage.setMeta(utf8.encode(JSON.stringify(j)), options)
}
