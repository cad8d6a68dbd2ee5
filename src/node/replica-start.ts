/**
 * Where a chain's replica starts: the state machine's configuration, and,
 * for a vehicle's own chain opened with no consensus state of its own (new,
 * or its data dir lost it), where consensus began on the chain and which
 * booth to ask (the chain's blocks, or the record outside the database);
 * and what a replica opens with (openState: its meta, or a first one).
 */
import type { PaxosConfig, PersistedState } from '../consensus/index.ts'
import { bytesEqual, ZERO_HASH } from '../chain/index.ts'
import { headerAt } from '../storage/header-at.ts'
import { ChainRecoveryError } from './consensus-errors.ts'
import { PAXOS_TIMING } from './paxos-constants.ts'
import { readMeta, writeMeta } from './replica-meta.ts'
import type { Cursor, ReplicaDeps, ReplicaSetup } from './replica-types.ts'

/**
 * Where a vehicle's consensus began on its chain, for a replica with no
 * state of its own (a new one, or one whose data dir lost it): before the
 * first block consensus decided (it carries a ballot; VGuard's endOfBooth
 * blocks carry none), else at the tip. Started at the tip of a chain
 * fetched back from its backups, the replay of slot 1 onwards from the
 * booth built the same blocks again on top of it.
 */
export async function consensusStart (d: ReplicaDeps): Promise<{ cursor: Cursor, lastBooth?: string[] }> {
  const cursor = await firstBallotCursor(d)
  const tip = await d.store.tip(d.chainId)
  // what the data dir keeps outside the database (OwnChainMarker): where consensus began, and its booth now
  const record = d.consensusRecord?.get()
  if (record != null && cursor != null) {
    // the booth deciding the chain now, also when the blocks fetched back end on an older booth's
    // (the booth changed since the last copy a backup took: that older booth may be gone)
    if (cursor.height === record.start.height && bytesEqual(cursor.hash, record.start.hash)) return { cursor, lastBooth: [...record.booth] }
    d.log('%s: the consensus record outside the database begins at %d, the chain at %d: the chain decides', d.chainId, record.start.height, cursor.height)
  }
  if (record != null && cursor == null) {
    // no block here shows that consensus ran (a database lost before a backup took any block it
    // decided, or with VGuard's blocks first): the record does
    if (tip.height < record.start.height) {
      // begun again from here, slot 1 would be another block than the one its booth decided there
      throw new ChainRecoveryError(`${d.chainId}: its consensus began after block ${record.start.height} (its data dir says so), and this node holds the chain up to ${tip.height} only: ` +
        `blocks ${tip.height + 1} to ${record.start.height} came from VGuard before it, and no vehicle that answered handed them over (its backups may not hold them); ` +
        'the blocks its booth decided follow them, so nothing is written before a vehicle that holds them brings them back')
    }
    if (tip.height === record.start.height && bytesEqual(tip.hash, record.start.hash)) {
      // the booth that decides the chain holds what it decided since (none of it reached a backup)
      return { cursor: { slot: 0, height: tip.height, hash: tip.hash }, lastBooth: [...record.booth] }
    }
    d.log('%s: the consensus record outside the database names block %d, not on this chain (one given up for its backups\'?): not used', d.chainId, record.start.height)
  }
  if (cursor == null) return { cursor: { slot: 0, height: tip.height, hash: tip.hash } }
  // the booth that decided the chain's last block (it holds a consensus block)
  let lastBooth: string[] | undefined
  for await (const { block } of d.store.headers(d.chainId, { from: tip.height, to: tip.height })) lastBooth = [...block.header.booth]
  return { cursor, lastBooth }
}

/** Before the first block consensus decided (it carries a ballot; VGuard's endOfBooth blocks carry none), if any. */
export async function firstBallotCursor (d: ReplicaDeps): Promise<Cursor | undefined> {
  for await (const { block } of d.store.headers(d.chainId)) {
    if (block.header.ballot != null) return { slot: 0, height: block.header.height - 1, hash: block.header.prevHash }
  }
  return undefined
}

/** Where consensus began on a chain whose replica was reopened from its state: before its first ballot, else where its cursor stands (it decided no block yet). */
export async function findStartPoint (d: ReplicaDeps, cursor: Cursor): Promise<{ height: number, hash: Uint8Array }> {
  // the record checked at its point (two headers): the scan reads every header VGuard wrote before
  const recorded = d.consensusRecord?.get()?.start
  if (recorded != null && await beginsAt(d, recorded, cursor)) return recorded
  const first = await firstBallotCursor(d) ?? cursor
  return { height: first.height, hash: first.hash }
}

/** Whether consensus began on this chain right after `point`: a block there without a ballot (or the start), the next one with a ballot following it (or none yet, the cursor there). */
async function beginsAt (d: ReplicaDeps, point: { height: number, hash: Uint8Array }, cursor: Cursor): Promise<boolean> {
  const at = await headerAt(d.store, d.chainId, point.height)
  if (point.height > 0 && (at == null || at.header.ballot != null || !bytesEqual(at.hash, point.hash))) return false
  if (point.height === 0 && !bytesEqual(point.hash, ZERO_HASH)) return false
  const next = await headerAt(d.store, d.chainId, point.height + 1)
  if (next == null) return cursor.height === point.height
  return next.header.ballot != null && bytesEqual(next.header.prevHash, point.hash)
}

/** The state machine's configuration for a chain's replica (the timings of paxos-constants.ts). */
export function paxosConfig (d: ReplicaDeps, setup: ReplicaSetup, persisted: PersistedState | undefined, cursor: Cursor): PaxosConfig {
  const hs = persisted?.hardState
  // the last slot applied durably: replayed slots above it are recognised by hash
  let applied = 0
  if (hs != null) {
    applied = d.kind === 'member' ? hs.commit : Math.min(Math.max(cursor.slot, hs.compacted), hs.commit)
  }
  return {
    id: d.self,
    booth: setup.genesis,
    election: setup.election,
    electionTicks: PAXOS_TIMING.electionTicks,
    heartbeatTicks: PAXOS_TIMING.heartbeatTicks,
    idleHeartbeatTicks: PAXOS_TIMING.idleHeartbeatTicks,
    rankTicks: PAXOS_TIMING.rankTicks,
    jitterTicks: PAXOS_TIMING.jitterTicks,
    window: PAXOS_TIMING.window,
    maxInflight: PAXOS_TIMING.maxInflight,
    maxPending: PAXOS_TIMING.maxPending,
    maxCatchup: PAXOS_TIMING.maxCatchup,
    maxUndecidedBytes: PAXOS_TIMING.maxUndecidedBytes,
    random: d.random,
    applied,
    // members of a vehicle's booth apply nothing: commit reaches them on the
    // next accept or heartbeat, not in a message of its own per decision
    announceToBooth: d.kind === 'shared',
    ...(d.kind === 'own' && d.proofs != null ? { proofs: d.proofs } : {})
  }
}

/** What a replica opens with: its stored state and meta, or, with none, where it starts (consensusStart). */
export interface OpenState {
  persisted: PersistedState | undefined
  /** The setup, with the genesis booth replaced by the booth to ask when an own chain's votes were lost. */
  setup: ReplicaSetup
  cursor: Cursor
  compactPoint?: Cursor
  /** member: the newest point its vehicle named, and how far its backups hold the chain. */
  ownerPoint?: Cursor
  ownerHeld?: number
  forgotVotes: boolean
  /** A replica created now: the block before consensus decides its first one here. */
  startPoint?: { height: number, hash: Uint8Array }
}

/** Reads a replica's stored state (a restart), or, with no meta, starts it and writes its first meta (synced). */
export async function openState (d: ReplicaDeps, setup: ReplicaSetup): Promise<OpenState> {
  const persisted = await d.storage.load()
  const meta = await readMeta(d.storage)
  let cursor: Cursor
  let compactPoint: Cursor | undefined
  let ownerPoint: Cursor | undefined
  let forgotVotes = false
  let startPoint: { height: number, hash: Uint8Array } | undefined
  let ownerHeld: number | undefined
  if (meta != null) {
    cursor = meta.cursor
    compactPoint = meta.compactPoint
    ownerPoint = meta.ownerPoint
    ownerHeld = meta.ownerHeld
    forgotVotes = meta.forgotVotes === true
  } else {
    const start = d.kind === 'own' ? await consensusStart(d) : { cursor: { slot: 0, height: 0, hash: ZERO_HASH } }
    cursor = start.cursor
    startPoint = { height: cursor.height, hash: cursor.hash }
    // consensus decided blocks of this chain, and this replica holds no state of it: its
    // votes were lost (a wiped data dir). Its phase 1 then counts no promise of its own, and
    // asks the booth that decided its last block (the genesis booth is itself alone)
    if (persisted == null && start.lastBooth != null) {
      forgotVotes = true
      setup = { ...setup, genesis: start.lastBooth }
    }
    if (persisted == null && setup.forgotVotes === true) forgotVotes = true
    await writeMeta(d.storage, { cursor, ...(forgotVotes ? { forgotVotes } : {}) }, { sync: true })
  }
  return { persisted, setup, cursor, compactPoint, ownerPoint, ownerHeld, forgotVotes, startPoint }
}
