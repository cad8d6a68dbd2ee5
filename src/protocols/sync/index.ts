/**
 * @packageDocumentation
 *
 * `/vguard/sync/1.0.0`: ask a peer for its tip of a chain, and fetch a range
 * of blocks from it, streamed in length-prefixed protobuf frames with credit
 * based backpressure and a size limit per message; and ask it for the write
 * ids its consensus applied in a range of blocks (which blocks do not carry:
 * a replica that caught up from a snapshot needs them, see `writeIds`).
 *
 * Guarantees:
 * - every fetched block is verified against the local tip (hash chain,
 *   header, payload) before it is stored, and — where the node names an
 *   authority other than the peer — against a tip signed by the chain's
 *   owner, headers first (see SyncAuthority); a peer whose block does not verify
 *   is dropped from that sync and logged, and no invalid block enters the
 *   local chain (blocks that verified before it stay: they extend the chain
 *   validly);
 * - a responder never has more than the requester's window (plus one frame)
 *   of unacknowledged bytes in flight on a stream, and a node's frames in
 *   flight over all its streams stay within a shared budget (48 MiB, 16 MiB
 *   per peer: see handler.ts), so peers that never read cannot grow it;
 * - the node answers only the peers `allowPeer` admits (connected members of
 *   its network, waiting briefly for identify); any other is answered, before
 *   its request is read, that it is refused and why (SyncResponse ERROR with
 *   `refused`: SyncRefusedError at the asker);
 * - every exchange has a per-message timeout on both sides, and every stream
 *   is closed or aborted when the exchange ends.
 *
 * Reconcile (seed 003, "zombie" and "baby"): `reconcile()` asks the given (or
 * all connected) peers for their tips of the chains this node holds and
 * fetches what it lacks from the peer with the most, then the next ones if
 * that one fails or stops short. A node with no chains asks for nothing.
 * Reconciles of one chain take turns; a fetch that stalls hands the turn on
 * (`stallGrace`), and at most one fetch of a chain from a peer runs at a time:
 * a later reconcile waits for it and takes its outcome rather than asking the
 * same peer beside it.
 *
 * @example
 *
 * ```ts
 * import { sync } from './protocols/sync/index.ts'
 *
 * const service = sync()({ libp2p, store, logger, peers: () => libp2p.getPeers() })
 * await service.start()
 * const results = await service.reconcile()  // e.g. after a restart
 * const tip = await service.tip(peerId, 'vehicle-7')
 * await service.stop()
 * ```
 */
import type { AbortOptions, ComponentLogger, Libp2p, PeerId, Startable } from '@libp2p/interface'
import type { ChainTip } from '../../chain/index.ts'
import type { ChainStore } from '../../storage/index.ts'
import { SyncService } from './sync.ts'

export { PROTOCOL_NAME, PROTOCOL_VERSION } from './constants.ts'
export { ChainGoneError, ChainMovedError, InvalidChainIdError, NoRoomError, NotVouchedError, SlowPeerError, SyncRefusedError } from './errors.ts'

export interface SyncInit {
  /** @default 'vguard' */
  protocolPrefix?: string
  /** Per-message timeout in ms, both sides. @default 10000 */
  timeout?: number
  /** Timeout of a TIP exchange during reconcile, in ms. @default 5000 */
  tipTimeout?: number
  /** Target frame size in bytes (frames hold whole blocks). @default 1 MiB */
  frameBytes?: number
  /** Bytes a requester lets a responder send ahead of its credits; 16 MiB at most (what a responder grants: MAX_WINDOW_BYTES). @default 8 MiB */
  windowBytes?: number
  /** Bytes a fetch must receive per `timeout` spent waiting on the peer, or drop it (SlowPeerError). @default 1 MiB */
  progressBytes?: number
  /**
   * A reconcile whose fetch received nothing for this many ms hands its
   * chain's turn to the next reconcile of the chain (its fetch runs on beside
   * it). @default 2000
   */
  stallGrace?: number
  /** A peer gets one WRITES answer per this many ms. @default 1000 */
  writesInterval?: number
  /** How long a connected peer allowPeer does not admit yet is waited for before it is refused. @default 3000 */
  membershipWait?: number
  /** @default 32 */
  maxInboundStreams?: number
  /** @default 64 */
  maxOutboundStreams?: number
}

export interface SyncComponents {
  /** getConnections: streams open on a connection that can carry one (openStream); without it, dialProtocol picks */
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol'> & Partial<Pick<Libp2p, 'getConnections'>>
  store: ChainStore
  logger: ComponentLogger
  /** Peers to reconcile with when none are given: the connected members of our network. */
  peers: () => PeerId[]
  /** Who may sync from us. @default every peer the connection gater let in */
  allowPeer?: (peer: PeerId) => boolean
  /**
   * Why a peer is kept out for a lasting reason (two processes run its
   * identity): it is refused at once with that reason, not waited for as one
   * allowPeer does not admit yet. @default none
   */
  refusal?: (peer: PeerId) => string | undefined
  /**
   * Who vouches for the blocks of `chainId` that `peer` serves (asked before
   * every fetch). @default the hash chain alone, from any peer ({ trust: 'peer' })
   */
  authority?: (chainId: string, peer: PeerId) => SyncAuthority
  /**
   * The room a fetch of `chainId` stores its blocks in (asked once per
   * fetch; undefined: unbounded). @default unbounded (no claim is made)
   */
  room?: (chainId: string) => SyncRoom | undefined
  /**
   * The write ids this node's consensus applied in blocks `from`..`to` of
   * `chainId` and still remembers (WRITES requests); undefined: it runs no
   * consensus of that chain. @default none served
   */
  writes?: (chainId: string, from: number, to: number) => AppliedWriteId[] | undefined
}

/**
 * A write with an id that consensus applied (SyncWrite on the wire): its key
 * (node/recent-writes.ts writeKey: writer, chain, id in hex), whose share of
 * the write memory it takes where that is not the key's writer, how long ago
 * it was applied (ms), and the block it went into.
 */
export interface AppliedWriteId {
  key: string
  owner?: string
  age: number
  height: number
  hash: Uint8Array
}

/**
 * Room for the blocks of one fetch, claimed before each append; the shape of
 * a replicate reservation, so fetches and transfers share one budget.
 */
export interface SyncRoom {
  /** Takes room for `bytes` about to be appended. False: no room (the fetch stops with NoRoomError). */
  claim: (bytes: number) => Promise<boolean>
  /** `bytes` claimed reached the store (or were not needed): the store counts them now. */
  written: (bytes: number) => void
  /** The fetch ended: what is left goes back. */
  release: () => void
}

/**
 * Whose word a fetch takes for blocks a peer serves. A hash chain proves
 * that blocks link to each other, not who made them: any peer can link
 * blocks onto a real tip.
 * - `peer`: the peer's (the chain's owner, or a chain without a known owner);
 * - `tip`: a tip this node trusts (a table the chain's owner signed): the
 *   fetch stops there, checks the headers up to it first, and stores only
 *   blocks on that header chain; a peer whose headers do not end on it is
 *   dropped (InvalidBlockError, reason Unvouched) with nothing stored;
 * - `none`: nothing from this peer (NotVouchedError).
 */
export type SyncAuthority =
  | { trust: 'peer' }
  | { trust: 'tip', height: number, hash: Uint8Array }
  | { trust: 'none', reason: string }

export interface FetchOptions extends AbortOptions {
  /** Last height wanted. @default the peer's tip */
  to?: number
  /**
   * A tip the caller vouches for (consensus told it): fetched as a `tip`
   * authority would be, whatever the authority says of the peer.
   */
  vouch?: { height: number, hash: Uint8Array }
  /**
   * Only extend the chain as this node holds it: a chain it does not hold (or
   * no longer: a released copy deleted meanwhile) is not fetched from nothing.
   * Reconciles of the chains held use it. @default false
   */
  onlyIfHeld?: boolean
}

export interface FetchResult {
  chainId: string
  peer: string
  /** Blocks appended by this fetch. */
  fetched: number
  /** The local tip afterwards. */
  tip: ChainTip
  /** The peer's tip height as it reported at the end. */
  remoteHeight: number
  /** False if the peer stopped early because it pruned the next payload. */
  complete: boolean
}

export interface ReconcileOptions extends AbortOptions {
  /** Ask these peers instead of every connected member. */
  peers?: PeerId[]
  /** With no chain named: which of the chains held to reconcile (default: every one). */
  include?: (chainId: string) => boolean
}

export interface ReconcileResult {
  chainId: string
  /** Local height before and after. */
  before: number
  after: number
  /** Peers blocks came from, in order. */
  sources: string[]
  /**
   * Peers dropped from this sync, and why (`error`: the error's name; `reason`: name and message): for
   * what they served, or for a tip answer that was a lie (undecodable, or an impossible tip).
   */
  dropped: Array<{ peer: string, error: string, reason: string }>
  /** Peers whose tip could not be read (no answer in time, stream failed): nothing was asked of them. */
  unreachable: string[]
  /**
   * Peers that refused this node (SyncRefusedError), for its tip or its
   * blocks: `reason` in the peer's words; `lasting`, whether asking again
   * soon would be refused the same (see SyncRefusedError). Not in
   * `unreachable` nor `dropped`: the peer answered, and said why.
   */
  refused: Array<{ peer: string, reason: string, lasting: boolean }>
  /** The node had no room for more of the chain (NoRoomError): it stopped there and asked no one else. */
  noRoom: boolean
}

export interface Sync extends Startable {
  /** The protocol id, e.g. /vguard/sync/1.0.0. */
  readonly protocol: string
  /**
   * The peer's tip of a chain; height 0 if it does not hold it.
   *
   * @throws SyncRefusedError if the peer refuses this node (its `reason` says why)
   * @throws TimeoutError, ProtocolError, InvalidMessageError
   */
  tip: (peer: PeerId, chainId: string, options?: AbortOptions) => Promise<ChainTip>
  /**
   * Fetches the blocks after the local tip from one peer, verifying and
   * appending them as they arrive.
   *
   * @throws InvalidBlockError if the peer sends a block that does not verify
   * (or, in a vouched fetch, is not on the signed chain)
   * @throws NotVouchedError if nobody this node trusts vouches for the peer's blocks
   * @throws ChainMovedError if another writer appended the same blocks meanwhile
   * @throws ChainGoneError if, with `onlyIfHeld`, the chain was deleted meanwhile
   * @throws NoRoomError if the node has no room for more of the chain (see SyncComponents.room)
   * @throws SyncRefusedError if the peer refuses this node (its `reason` says why): nothing was fetched
   * @throws TimeoutError, ProtocolError, InvalidMessageError
   */
  fetch: (peer: PeerId, chainId: string, options?: FetchOptions) => Promise<FetchResult>
  /** Catches up the given chain (or every chain held) from the peers that have more. */
  reconcile: (chainId?: string, options?: ReconcileOptions) => Promise<ReconcileResult[]>
  /**
   * The write ids the peer's consensus applied in blocks `from`..`to` of a
   * chain and remembers (none if it keeps none of that chain). Each is
   * checked for shape only: the caller checks its block against its own copy.
   *
   * @throws SyncRefusedError if the peer refuses this node (its `reason` says why)
   * @throws TimeoutError, ProtocolError, InvalidMessageError
   */
  writeIds: (peer: PeerId, chainId: string, from: number, to: number, options?: AbortOptions) => Promise<AppliedWriteId[]>
}

export function sync (init: SyncInit = {}): (components: SyncComponents) => Sync {
  return (components) => new SyncService(components, init)
}
