import { pbStream } from '../framing.ts'
import type { ComponentLogger, Connection, Libp2p, Logger, PeerId, Stream } from '@libp2p/interface'
import { MembershipCheck } from '../read/membership.ts'
import type { ChainStore } from '../../storage/index.ts'
import type { BackupTableStore, VerifiedTable } from '../../backup/index.ts'
import { verifyTable } from '../../backup/index.ts'
import { bytesEqual } from '../../chain/index.ts'
import { MAX_PEER_TEXT } from '../../text/peer-text.ts'
import { decoderOf, handleProtocol, readBufferFor, withDeadline, withStream } from '../stream.ts'
import { ReleaseRequest, ReleaseResponse } from './pb/release.ts'
import { MAX_INBOUND_STREAMS, MAX_MESSAGE_BYTES, MAX_OUTBOUND_STREAMS, MEMBERSHIP_WAIT, MESSAGE_TIMEOUT, RELEASE_PROTOCOL } from './constants.ts'
import { ReleaseFailedError, ReleaseRejectedError, StaleReleaseError } from './errors.ts'

const REQUEST = decoderOf(ReleaseRequest, 'release request')
// the backup's words go into errors and logs: escaped and bounded (an honest "chain … is unknown here" passes unchanged)
const RESPONSE = decoderOf(ReleaseResponse, 'release answer', { message: MAX_PEER_TEXT })

export interface ReleaseComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol' | 'peerId' | 'peerStore'>
  store: ChainStore
  /**
   * Members of our network (the peering's verdict): only they are heard. A
   * peer with a key it just made up could else have a table of its own kept
   * here for good, one release each. @default every peer (the protocol's own tests)
   */
  isMember?: (peer: PeerId) => boolean
  /**
   * Why a peer of our network is kept out for a lasting reason (two processes
   * run its identity): refused FORBIDDEN at once with that reason, not
   * waited for. @default none
   */
  refusal?: (peer: PeerId) => string | undefined
  tables: BackupTableStore
  logger: ComponentLogger
  /** The newest epoch the chain's owner has opened a transfer to us for (0 if none). */
  offeredEpoch?: (chainId: string) => number
  /** Called after a copy was deleted (for events and metrics). */
  onReleased?: (chainId: string, epoch: number) => void | Promise<void>
  /** Called when a release brought a newer table than the one held (for events and metrics, as gossip's). */
  onAdopted?: (table: VerifiedTable) => void
  /**
   * Runs the last check of a release and its delete alone for that chain,
   * never beside the start of a transfer of it (ReplicateComponents.onAccepted
   * runs under the same lock): an offer that came while the release was
   * checked would else be answered with the tip of a copy about to go, and
   * its blocks refused. @default runs it at once
   */
  exclusive?: <T>(chainId: string, task: () => Promise<T>) => Promise<T>
}

export interface ReleaseInit {
  /** @default '/vguard/release/1.0.0' */
  protocol?: string
  /** @default 10 s */
  timeout?: number
  /** How long a connected peer not identified yet is waited for. @default 3 s */
  membershipWait?: number
}

export interface ReleaseOutcome {
  /** The epoch the backup holds for the chain now; 0 when it holds nothing of it. */
  epoch: number
  deleted: boolean
  /**
   * The backup holds neither a copy of the chain nor a table for it: nothing
   * to release (a release sent again after the backup dropped its forward
   * pointer, or one to a peer that never held the chain). Done either way.
   * Set only then.
   */
  nothingHeld?: true
}

/** What a backup of an earlier version answers INVALID with for a chain it holds nothing of (this one answers OK, epoch 0). */
const UNKNOWN_HERE = /^chain \S+ is unknown here$/

export class ReleaseService {
  readonly protocol: string
  private readonly components: ReleaseComponents
  private readonly log: Logger
  private readonly timeout: number
  private readonly membershipWait: number
  private readonly membership?: MembershipCheck
  /** Serializes releases per node: a release and a table adoption must not interleave. */
  private queue: Promise<unknown> = Promise.resolve()

  constructor (components: ReleaseComponents, init: ReleaseInit = {}) {
    this.components = components
    this.protocol = init.protocol ?? RELEASE_PROTOCOL
    this.timeout = init.timeout ?? MESSAGE_TIMEOUT
    this.membershipWait = init.membershipWait ?? MEMBERSHIP_WAIT
    if (components.isMember != null || components.refusal != null) this.membership = new MembershipCheck({ libp2p: components.libp2p, isMember: components.isMember, refusal: components.refusal })
    this.log = components.logger.forComponent('vguard:release')
  }

  async start (): Promise<void> {
    await handleProtocol(this.components.libp2p, this.protocol, async (stream, connection) => { await this.serve(stream, connection) }, {
      maxInboundStreams: MAX_INBOUND_STREAMS,
      maxOutboundStreams: MAX_OUTBOUND_STREAMS
    }, (err, connection) => { this.log('release from %p failed: %s', connection.remotePeer, err.message) })
  }

  async stop (): Promise<void> {
    await this.components.libp2p.unhandle(this.protocol)
  }

  /**
   * Sends a release to an obsolete backup.
   *
   * @throws StaleReleaseError, ReleaseRejectedError (both final), ReleaseFailedError (FORBIDDEN, ERROR), TimeoutError (worth a retry)
   */
  async release (peer: PeerId, signedTable: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<ReleaseOutcome> {
    // the backup's answer, once read, is the outcome (a copy it says it deleted is deleted): a close that fails
    // after it does not undo it (withStream's answerLast; until 2026-12-03 it turned the answer into a failure)
    const res = await withStream(this.components.libp2p, peer, this.protocol, async (stream, signal) => {
      const pbs = pbStream(stream, { maxDataLength: MAX_MESSAGE_BYTES })
      await pbs.write({ table: signedTable as Uint8Array<ArrayBuffer> }, ReleaseRequest, { signal })
      return await pbs.read(RESPONSE, { signal })
    }, { timeout: this.timeout, signal: options.signal, answerLast: true })
    // a table's epoch is at least 1: OK with 0 says the backup holds nothing of the chain
    if (res.status === ReleaseResponse.Status.OK) return { epoch: res.epoch, deleted: res.deleted, ...(res.epoch === 0 ? { nothingHeld: true } : {}) }
    if (res.status === ReleaseResponse.Status.STALE) throw new StaleReleaseError(`${peer.toString()} holds epoch ${res.epoch}: ${res.message}`)
    // an older backup's word for the same: what the release asks for holds there
    if (res.status === ReleaseResponse.Status.INVALID && UNKNOWN_HERE.test(res.message)) return { epoch: 0, deleted: false, nothingHeld: true }
    if (res.status === ReleaseResponse.Status.INVALID) throw new ReleaseRejectedError(`${peer.toString()}: INVALID: ${res.message}`)
    // not (yet) a member to that backup: its identify of us may still be on its way (a loaded host), so worth a retry
    throw new ReleaseFailedError(`${peer.toString()}: ${ReleaseResponse.Status[res.status] ?? `status ${res.status}`}: ${res.message}`)
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    // a request is 32 KiB at most: nothing more is buffered (the reader's default is 4 MiB a stream)
    const pbs = pbStream(stream, { maxDataLength: MAX_MESSAGE_BYTES, maxBufferSize: readBufferFor(MAX_MESSAGE_BYTES) })
    let res: Partial<ReleaseResponse>
    const refused = await this.membership?.refusalOf(connection, this.membershipWait)
    if (refused != null) {
      // not even the request is read
      this.log('refusing a release from %p: %s', connection.remotePeer, refused)
      res = { status: ReleaseResponse.Status.FORBIDDEN, message: refused }
    } else {
      // a request that does not come in time ends the stream (handleProtocol aborts it): no answer is owed
      const req = await withDeadline(this.timeout, async (signal) => await pbs.read(REQUEST, { signal }), 'no release request')
      res = await this.answer(req, connection.remotePeer)
    }
    await withDeadline(this.timeout, async (signal) => { await pbs.write({ status: ReleaseResponse.Status.OK, epoch: 0, deleted: false, message: '', ...res }, ReleaseResponse, { signal }) }, 'release answer not taken')
  }

  /** The answer to a request read: the backup's decision, or ERROR when this node failed to carry it out. */
  private async answer (req: ReleaseRequest, sender: PeerId): Promise<Partial<ReleaseResponse>> {
    let res: Partial<ReleaseResponse>
    try {
      res = await this.handle(req, sender)
    } catch (err) {
      // the request was fine and this node failed it (its disk): the owner retries
      this.log.error('release from %p failed here: %s', sender, (err as Error).message)
      res = { status: ReleaseResponse.Status.ERROR, message: `release failed on this backup: ${(err as Error).message}` }
    }
    return res
  }

  /** The backup's decision; exported through serve only. Never throws for bad input: it answers. */
  private async handle (req: ReleaseRequest, sender: PeerId): Promise<Partial<ReleaseResponse>> {
    const run = this.queue.then(async () => {
      const { tables, store, libp2p } = this.components
      let verified
      try {
        verified = await verifyTable(req.table)
      } catch (err) {
        return { status: ReleaseResponse.Status.INVALID, message: (err as Error).message }
      }
      const { table } = verified
      if (sender.toString() !== table.proposer) {
        return { status: ReleaseResponse.Status.INVALID, message: `${sender.toString()} does not own chain ${table.chainId}` }
      }
      const held = tables.get(table.chainId)
      if (held != null && held.table.epoch > table.epoch) {
        return { status: ReleaseResponse.Status.STALE, epoch: held.table.epoch, message: `holding epoch ${held.table.epoch}` }
      }
      // the same epoch counts only as the very table held (a release sent again, a hand-off): another
      // table of that epoch would not be adopted, and the copy must not go on a table we do not keep
      if (held != null && held.table.epoch === table.epoch && !bytesEqual(held.signed, verified.signed)) {
        return { status: ReleaseResponse.Status.STALE, epoch: held.table.epoch, message: `holding another table of epoch ${held.table.epoch}` }
      }
      // the owner already chose us again for a newer epoch: this release is overtaken
      const offered = this.components.offeredEpoch?.(table.chainId) ?? 0
      if (offered > table.epoch) {
        return { status: ReleaseResponse.Status.STALE, epoch: offered, message: `replicating epoch ${offered}` }
      }
      const self = libp2p.peerId.toString()
      if (!tables.isKept(table.chainId) && (await store.info(table.chainId)) == null) {
        // neither a copy nor a forward pointer (a hint heard by gossip is neither): released before and its pointer
        // dropped since (the cap on them), or never a backup of it; this node cannot tell the two apart, and holds
        // nothing to release either way. Done (it was INVALID, which the owner logged as an error after a release
        // sent again whose first answer it lost); nothing is kept: a peer with a key it made up gets no table here
        return { status: ReleaseResponse.Status.OK, epoch: 0, deleted: false, message: `nothing held here: neither a copy of chain ${table.chainId} nor a table for it` }
      }
      // a backup away while the table was gossiped hears it first here: told as gossip's is (a probe, 2026-12-03)
      const kept = await tables.adopt(req.table, table.chainId, { keep: true })
      if (kept.adopted) this.components.onAdopted?.(kept.table)
      // released unless the new table counts on us: a table lists at most 64
      // obsolete backups, and the owner releases every one of them
      if (table.chainId === self || table.active.includes(self)) return { status: ReleaseResponse.Status.OK, epoch: table.epoch, deleted: false }
      const exclusive = this.components.exclusive ?? (async <T>(_chainId: string, task: () => Promise<T>): Promise<T> => await task())
      return await exclusive(table.chainId, async (): Promise<Partial<ReleaseResponse>> => {
        // an offer may have come while the table was adopted: checked again where none can
        const offeredNow = this.components.offeredEpoch?.(table.chainId) ?? 0
        if (offeredNow > table.epoch) return { status: ReleaseResponse.Status.STALE, epoch: offeredNow, message: `replicating epoch ${offeredNow}` }
        const deleted = await store.deleteChain(table.chainId)
        // the copy gone, its table is a forward pointer now, under the cap on them
        await tables.copyGone(table.chainId)
        if (deleted) {
          this.log('released copy of %s at epoch %d', table.chainId, table.epoch)
          await this.components.onReleased?.(table.chainId, table.epoch)
        }
        return { status: ReleaseResponse.Status.OK, epoch: table.epoch, deleted }
      })
    })
    this.queue = run.catch(() => {})
    return await run
  }
}
