/**
 * Forwarded writes: a vehicle that is not a chain's proposer hands the write
 * to the one that is, and waits for the commit on the same stream.
 */
import { pbStream } from '../framing.ts'
import type { ComponentLogger, Connection, Libp2p, Logger, PeerId, Stream } from '@libp2p/interface'
import { MAX_CHAIN_ID_BYTES, MAX_PAYLOAD_BYTES, MAX_TXS_PER_BLOCK, parsePayload, toHex } from '../../chain/index.ts'
import { WriteNotSentError } from './errors.ts'
import { decoderOf, handleProtocol, readBufferFor, withDeadline, withStream } from '../stream.ts'
import { WriteRequest, WriteResponse } from './pb/write.ts'
import { MembershipCheck } from '../read/membership.ts'
import { idempotencyKeyProblem } from './idempotency-key.ts'
import {
  ANSWER_SLACK, MAX_INBOUND_STREAMS, MAX_OUTBOUND_STREAMS, MAX_REPORTED_BACKUPS, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, MAX_WRITE_ID_BYTES, MAX_WRITE_TIMEOUT, REQUEST_TIMEOUT, WRITE_PROTOCOL, MAX_PROBLEM_LENGTH, INBOUND_BUDGET, MEMBERSHIP_WAIT, MAX_ERROR_NAME_LENGTH
} from './constants.ts'
import { InboundBudget } from '../inbound-budget.ts'

const REQUEST = decoderOf(WriteRequest, 'write request')
// what the proposer wrote is shown (errors, logs, the API): escaped and bounded; a name or an id passes unchanged
const RESPONSE = decoderOf(WriteResponse, 'write answer', { message: MAX_PROBLEM_LENGTH, error: MAX_ERROR_NAME_LENGTH, leader: MAX_CHAIN_ID_BYTES, backups: MAX_CHAIN_ID_BYTES })

export interface ForwardedWrite {
  /** The member that forwarded it. */
  from: string
  chainId: string
  /** Canonical transaction payload (checked: it parses, 1..MAX_TXS_PER_BLOCK transactions). */
  payload: Uint8Array
  count: number
  /** ms the writer waits (capped). */
  timeout: number
  waitForReplication: boolean
  /** The writer's id for this write, hex ('' for none): a repeat gets the first one's outcome (see RecentWrites). */
  writeId: string
  /** A client's idempotency key ('' for none; checked): the write's id comes from it (src/node/idempotency.ts). */
  idempotencyKey: string
}

export interface WriteCommitted {
  height: number
  hash: Uint8Array
  /** A write that waited for the replication round after its commit: what the round reached. */
  replication?: ReplicationReport
}

/**
 * complete: k backups took the chain up to this block; partial: fewer did
 * (the round fell short, see the node's backup table); pending: the write's
 * timeout came first. The write is committed in every case: the round goes
 * on, and the next commit's round catches up what this one missed.
 */
export type ReplicationState = 'complete' | 'partial' | 'pending'

/** What a write learns of the replication round after its commit. */
export interface ReplicationReport {
  state: ReplicationState
  /** The backups that took the chain up to this block (or later) in the round; empty while pending. */
  backups: string[]
  /** Partial: why fewer than k backups took it (the candidates' errors, or why the round failed). */
  problem?: string
}

const REPLICATION_BY_STATE: Record<ReplicationState, WriteResponse.Replication> = {
  complete: WriteResponse.Replication.COMPLETE,
  partial: WriteResponse.Replication.PARTIAL,
  pending: WriteResponse.Replication.PENDING
}

const STATE_BY_REPLICATION: Partial<Record<WriteResponse.Replication, ReplicationState>> = Object.fromEntries(
  Object.entries(REPLICATION_BY_STATE).map(([state, wire]) => [wire, state])
)

/** A proposer's answer back into what it reported (undefined: it did not say). Its message was bounded, and escaped, as it was decoded. */
export function replicationOf (res: WriteResponse): ReplicationReport | undefined {
  const state = STATE_BY_REPLICATION[res.replication]
  if (state == null) return undefined
  return { state, backups: state === 'pending' ? [] : res.backups, ...(state === 'partial' && res.message !== '' ? { problem: res.message } : {}) }
}

export interface WriteComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol' | 'peerId' | 'peerStore'>
  logger: ComponentLogger
  /** Only connected members of our network may forward writes. */
  isMember: (peer: PeerId) => boolean
  /**
   * Why a peer of our network is kept out for a lasting reason (two
   * processes run its identity): its write is refused at once, unread, with
   * that reason, not waited for as a peer not judged yet. @default none
   */
  refusal?: (peer: PeerId) => string | undefined
  /**
   * Commits a forwarded write here. Throws typed errors, mapped by name:
   * NotProposerError → NOT_LEADER, NoQuorumError → NO_QUORUM,
   * CommitTimeoutError → COMMIT_TIMEOUT, InvalidTransactionError → INVALID.
   */
  onWrite: (write: ForwardedWrite) => Promise<WriteCommitted>
}

export interface WriteInit {
  protocol?: string
  /** How long a stream from a peer not judged yet waits for identify's verdict on it. @default MEMBERSHIP_WAIT (3 s) */
  membershipWait?: number
  /** Bytes of requests partly received at once, over every inbound stream. @default 64 MiB (INBOUND_BUDGET) */
  inboundBudget?: number
}

const STATUS_BY_ERROR: Record<string, WriteResponse.Status> = {
  NotProposerError: WriteResponse.Status.NOT_LEADER,
  NoQuorumError: WriteResponse.Status.NO_QUORUM,
  CommitTimeoutError: WriteResponse.Status.COMMIT_TIMEOUT,
  InvalidTransactionError: WriteResponse.Status.INVALID,
  RefusedWriteError: WriteResponse.Status.REFUSED
}

const EMPTY = new Uint8Array(0) as Uint8Array<ArrayBuffer>

/** How often drain() looks whether the writes being committed are answered. */
const DRAIN_POLL_MS = 50

export class WriteService {
  readonly protocol: string
  private readonly c: WriteComponents
  private readonly log: Logger
  readonly inbound: InboundBudget
  private readonly membership: MembershipCheck
  private readonly membershipWait: number
  /** Set by drain(): new writes are answered that this node is stopping. */
  private draining = false
  /** Writes being committed for peers now. */
  private running = 0

  constructor (components: WriteComponents, init: WriteInit = {}) {
    this.c = components
    this.protocol = init.protocol ?? WRITE_PROTOCOL
    this.inbound = new InboundBudget(init.inboundBudget ?? INBOUND_BUDGET, 'write requests')
    this.log = components.logger.forComponent('vguard:write')
    this.membership = new MembershipCheck({ libp2p: components.libp2p, isMember: components.isMember, refusal: components.refusal })
    this.membershipWait = init.membershipWait ?? MEMBERSHIP_WAIT
  }

  async start (): Promise<void> {
    await handleProtocol(this.c.libp2p, this.protocol, async (stream, connection) => { await this.serve(stream, connection) }, {
      maxInboundStreams: MAX_INBOUND_STREAMS,
      maxOutboundStreams: MAX_OUTBOUND_STREAMS
    }, (err, connection) => { this.log.error('forwarded write from %p failed: %s', connection.remotePeer, err.message) })
  }

  async stop (): Promise<void> {
    await this.c.libp2p.unhandle(this.protocol)
  }

  /**
   * Before the node stops: writes that come now are answered ERROR
   * `NodeStoppingError` (not taken, nothing written), and those being
   * committed get their answer, `graceMs` at most (a stop under them
   * answered 'may have committed' for writes that had: a review).
   */
  async drain (graceMs: number): Promise<void> {
    this.draining = true
    const deadline = Date.now() + graceMs
    while (this.running > 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, DRAIN_POLL_MS))
  }

  /**
   * Forwards a write and waits for the proposer's answer (any status: the caller maps it).
   *
   * @throws WriteNotSentError (no stream opened: nothing can commit), TimeoutError and the stream's errors (the write may have arrived);
   * never once the answer is in: a close that fails after it does not undo it (withStream's answerLast)
   */
  async forward (peer: PeerId, chainId: string, payload: Uint8Array, options: { timeout: number, waitForReplication?: boolean, writeId?: Uint8Array, idempotencyKey?: string, signal?: AbortSignal }): Promise<WriteResponse> {
    const timeout = Math.min(Math.max(1, Math.round(options.timeout)), MAX_WRITE_TIMEOUT)
    let opened = false
    return await withStream(this.c.libp2p, peer, this.protocol, async (stream, signal) => {
      opened = true
      // one reader for the exchange (maxDataLength bounds what is read, not what is written): a second one, over
      // the first's unwrap(), threw StreamStateError when the whole answer and the proposer's close came before the
      // unwrap (an answer sent before the request is read: a refusal), and the writer was told "it may still commit"
      const pbs = pbStream(stream, { maxDataLength: MAX_RESPONSE_BYTES })
      const writeId = (options.writeId ?? EMPTY) as Uint8Array<ArrayBuffer>
      await pbs.write({ chainId, payload: payload as Uint8Array<ArrayBuffer>, timeout, skipReplication: options.waitForReplication === false, writeId, idempotencyKey: options.idempotencyKey ?? '' }, WriteRequest, { signal })
      return await pbs.read(RESPONSE, { signal, limits: { backups: MAX_REPORTED_BACKUPS } })
    }, { timeout: timeout + ANSWER_SLACK, signal: options.signal, answerLast: true }).catch((err: Error) => {
      if (opened) throw err
      throw new WriteNotSentError(`no stream to ${peer.toString()}: ${err.message}`)
    })
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    // a writer that dialled us for this write opens its stream as soon as the connection is up, before
    // our identify of it ends: waited for, as read, release and replicate do (refused at once, the stream
    // was reset and the writer told the write "may still commit", though it was never taken: a review)
    const kept = await this.membership.refusalOf(connection, this.membershipWait)
    if (kept != null) {
      this.log('refusing a write from %p: %s', connection.remotePeer, kept)
      // answered, not reset: the writer learns why, and that nothing was taken (the request is not even read).
      // NotMemberError for a lasting reason too (two processes run its identity): every writer knows it as
      // "not taken", where an error name new to it would read "it may still commit"
      const refused: WriteResponse = { status: WriteResponse.Status.ERROR, height: 0, hash: EMPTY, leader: '', message: `${kept}: the write was not taken`, replication: WriteResponse.Replication.NOT_REPORTED, backups: [], error: 'NotMemberError', mayHaveCommitted: false }
      await withDeadline(REQUEST_TIMEOUT, async (signal) => { await pbStream(stream, { maxDataLength: MAX_RESPONSE_BYTES }).write(refused, WriteResponse, { signal }) }, 'write refusal not taken')
      return
    }
    // a request carries a whole block's payload (4 MiB and more): past the reader's default buffer
    const metered = this.inbound.meter(stream)
    const pbs = pbStream(stream, { maxDataLength: MAX_REQUEST_BYTES, maxBufferSize: readBufferFor(MAX_REQUEST_BYTES) })
    let req: WriteRequest
    try {
      req = await withDeadline(REQUEST_TIMEOUT, async (signal) => await pbs.read(REQUEST, { signal }), 'no write request')
    } finally {
      // read whole: what it holds now is a request being committed, not a frame arriving
      metered.release()
    }
    const res = await this.answer(req, connection.remotePeer.toString())
    const full: WriteResponse = { status: WriteResponse.Status.OK, height: 0, hash: EMPTY, leader: '', message: '', replication: WriteResponse.Replication.NOT_REPORTED, backups: [], error: '', mayHaveCommitted: false, ...res }
    await withDeadline(REQUEST_TIMEOUT, async (signal) => { await pbStream(pbs.unwrap(), { maxDataLength: MAX_RESPONSE_BYTES }).write(full, WriteResponse, { signal }) }, 'write answer not taken')
  }

  /** Never throws for bad input or a failed commit: it answers with a status. */
  private async answer (req: WriteRequest, from: string): Promise<Partial<WriteResponse>> {
    let count: number
    try {
      if (req.payload.byteLength > MAX_PAYLOAD_BYTES) throw new Error('payload too large')
      count = parsePayload(req.payload).length
      if (count === 0 || count > MAX_TXS_PER_BLOCK) throw new Error(`${count} transactions`)
    } catch (err) {
      return { status: WriteResponse.Status.INVALID, message: `bad payload: ${(err as Error).message}` }
    }
    if (req.chainId === '' || Buffer.byteLength(req.chainId) > 128) return { status: WriteResponse.Status.INVALID, message: 'bad chain id' }
    if (req.writeId.byteLength > MAX_WRITE_ID_BYTES) return { status: WriteResponse.Status.INVALID, message: `write id longer than ${MAX_WRITE_ID_BYTES} bytes` }
    const keyProblem = req.idempotencyKey === '' ? undefined : idempotencyKeyProblem(req.idempotencyKey)
    if (keyProblem != null) return { status: WriteResponse.Status.INVALID, message: keyProblem }
    const timeout = Math.min(Math.max(1, req.timeout), MAX_WRITE_TIMEOUT)
    if (this.draining) return { status: WriteResponse.Status.ERROR, error: 'NodeStoppingError', mayHaveCommitted: false, message: 'the proposer is stopping: the write was not taken' }
    this.running++
    try {
      const committed = await this.c.onWrite({ from, chainId: req.chainId, payload: req.payload, count, timeout, waitForReplication: !req.skipReplication, writeId: toHex(req.writeId), idempotencyKey: req.idempotencyKey })
      const replication = committed.replication == null
        ? {}
        : {
            replication: REPLICATION_BY_STATE[committed.replication.state],
            backups: committed.replication.backups.slice(0, MAX_REPORTED_BACKUPS),
            // an OK answer's message: why a partial round fell short
            message: committed.replication.problem?.slice(0, MAX_PROBLEM_LENGTH) ?? ''
          }
      return { status: WriteResponse.Status.OK, height: committed.height, hash: committed.hash as Uint8Array<ArrayBuffer>, ...replication }
    } catch (err) {
      const e = (err instanceof Error ? err : new Error(String(err))) as Error & { leader?: string, mayHaveCommitted?: boolean }
      const name = typeof e.name === 'string' ? e.name : 'Error'
      const status = STATUS_BY_ERROR[name] ?? WriteResponse.Status.ERROR
      // what the forwarder cannot tell from ERROR alone: a write proposed before the stop may still commit
      // (its writer was told 502 "broke its protocol", with no mayHaveCommitted: a review)
      const failure = status === WriteResponse.Status.ERROR ? { error: name.slice(0, MAX_ERROR_NAME_LENGTH), mayHaveCommitted: e.mayHaveCommitted === true } : {}
      return { status, leader: typeof e.leader === 'string' ? e.leader : '', message: String(e.message ?? ''), ...failure }
    } finally {
      this.running--
    }
  }
}
