import { pbStream } from '../framing.ts'
import type { ComponentLogger, Connection, Libp2p, Logger, PeerId, Stream } from '@libp2p/interface'
import { encodeBlock, keyProblem, MAX_CHAIN_ID_BYTES, MAX_KEY_BYTES } from '../../chain/index.ts'
import type { ChainStore } from '../../storage/index.ts'
import type { BackupTableStore } from '../../backup/index.ts'
import { MAX_PEER_TEXT } from '../../text/peer-text.ts'
import { checkRequestSize } from '../request-limit.ts'
import { decoderOf, handleProtocol, readBufferFor, withDeadline, withStream } from '../stream.ts'
import { ReadRequest, ReadResponse } from './pb/read.ts'
import type { KeyEntry } from './pb/read.ts'
import { readResponse } from './messages.ts'
import { MembershipCheck } from './membership.ts'
import {
  KEYS_RESPONSE_BYTES, MAX_INBOUND_STREAMS, MAX_KEYS_PER_READ, MAX_OUTBOUND_STREAMS, MAX_REQUEST_BYTES, MAX_RESPONSE_BYTES, MEMBERSHIP_WAIT, MESSAGE_TIMEOUT, RANGE_RESPONSE_BYTES, READ_PROTOCOL
} from './constants.ts'

const REQUEST = decoderOf(ReadRequest, 'read request')
// what the peer wrote is shown (errors, a read's path in the API): escaped and bounded; an id passes unchanged
const RESPONSE = decoderOf(ReadResponse, 'read answer', { message: MAX_PEER_TEXT, leader: MAX_CHAIN_ID_BYTES })

export interface ReadComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol' | 'peerId' | 'peerStore'>
  store: ChainStore
  tables: BackupTableStore
  logger: ComponentLogger
  /**
   * Connected members of our network (the peering's view); others are refused.
   * Default: identify's agent (in the peer store) names our network.
   */
  isMember?: (peer: PeerId) => boolean
  /**
   * Why a peer of our network is kept out for a lasting reason (two processes
   * run its identity): refused FORBIDDEN at once with that reason, not
   * waited for. Default: none.
   */
  refusal?: (peer: PeerId) => string | undefined
  /**
   * For `leader` requests: resolves once this node is confirmed as the
   * chain's leader and has applied everything chosen before the call
   * (consensus's read index). Without it, every `leader` request gets NOT_LEADER.
   */
  confirmLeader?: (chainId: string) => Promise<LeaderCheck>
  /**
   * Chains this node takes part in before it holds a block of them (the
   * shared chain, once formed here): with no block yet they are empty, not
   * "not held here". Default: none.
   */
  runs?: (chainId: string) => boolean
  /**
   * Called before a (non-leader) request is answered from the store: waits,
   * bounded, until the store holds what this node already voted for (see
   * ChainReplica.heldAccepted), so a quorum read's holders answer with every
   * write a majority acknowledged. Resolves to why the store cannot
   * answer for the chain, if it cannot (a vehicle that lost part of its own
   * chain; a shared chain whose store still lacks what it voted for): the
   * request is then answered UNAVAILABLE with that reason. `ownCopy`: the
   * answer is this node's own copy, which no quorum counts (see
   * ReadService.answer). Default: answers at once.
   */
  settle?: (chainId: string, options: { ownCopy: boolean }) => Promise<string | undefined>
}

/** Whether this node may answer a `leader` read of a chain, and if not, who may. */
export type LeaderCheck =
  | { leads: true }
  | { leads: false, leader?: string, reason: string }

export interface ReadInit {
  /** @default '/vguard/read/1.0.0' */
  protocol?: string
  /** @default 5 s */
  timeout?: number
  /** How long a peer not identified yet may take to become a member. @default 3 s */
  membershipWait?: number
}

export interface ReadStats {
  /** Requests from members answered over the network (any status but FORBIDDEN). */
  answered: number
  /** Streams refused because the peer is not a member of our network. */
  refused: number
}

const utf8 = new TextEncoder()
const { Status, Role } = ReadResponse

/** Why a request is refused before any lookup; undefined if it is well formed. */
export function checkReadRequest (req: ReadRequest): string | undefined {
  if (req.chainId === '' || utf8.encode(req.chainId).byteLength > MAX_CHAIN_ID_BYTES) return 'bad chain id'
  switch (req.kind) {
    case ReadRequest.Kind.KEY:
      // a lone surrogate too: no write stored one, and the store refused it as a read failure ('read failed on this holder')
      if (keyProblem(req.key) != null) return 'bad key'
      return undefined
    case ReadRequest.Kind.BLOCK:
      return Number.isSafeInteger(req.height) && req.height >= 1 ? undefined : 'bad height'
    case ReadRequest.Kind.RANGE:
      return Number.isSafeInteger(req.height) && Number.isSafeInteger(req.to) && req.height >= 1 && req.to >= req.height
        ? undefined
        : `a range runs from an integer height ≥ 1 to one ≥ it, got ${String(req.height)}..${String(req.to)}`
    case ReadRequest.Kind.TIP:
      return undefined
    case ReadRequest.Kind.KEYS:
      if (!Number.isSafeInteger(req.limit) || req.limit < 1 || req.limit > MAX_KEYS_PER_READ) return `a page of keys holds 1 to ${MAX_KEYS_PER_READ}, got ${String(req.limit)}`
      return keyBoundProblem('prefix', req.prefix) ?? keyBoundProblem('after', req.after)
    default:
      return `not a kind of read: ${String(req.kind)}`
  }
}

/** A KEYS bound ("" for none) is text a key could start with: encoded with a U+FFFD in place of a lone surrogate, it would bound other keys. */
function keyBoundProblem (name: string, bound: string): string | undefined {
  if (typeof bound !== 'string' || !bound.isWellFormed()) return `bad ${name}`
  if (utf8.encode(bound).byteLength > MAX_KEY_BYTES) return `${name} longer than a key`
  return undefined
}

export class ReadService {
  readonly protocol: string
  private readonly components: ReadComponents
  private readonly log: Logger
  private readonly timeout: number
  private readonly membershipWait: number
  private readonly membership: MembershipCheck
  private running = false
  readonly stats: ReadStats = { answered: 0, refused: 0 }

  constructor (components: ReadComponents, init: ReadInit = {}) {
    this.components = components
    this.protocol = init.protocol ?? READ_PROTOCOL
    this.timeout = init.timeout ?? MESSAGE_TIMEOUT
    this.membershipWait = init.membershipWait ?? MEMBERSHIP_WAIT
    this.membership = new MembershipCheck({ libp2p: components.libp2p, isMember: components.isMember, refusal: components.refusal })
    this.log = components.logger.forComponent('vguard:read')
  }

  async start (): Promise<void> {
    this.running = true
    await handleProtocol(this.components.libp2p, this.protocol, async (stream, connection) => { await this.serve(stream, connection) }, {
      maxInboundStreams: MAX_INBOUND_STREAMS,
      maxOutboundStreams: MAX_OUTBOUND_STREAMS
    }, (err, connection) => { this.log('read from %p failed: %s', connection.remotePeer, err.message) })
  }

  async stop (): Promise<void> {
    this.running = false
    await this.components.libp2p.unhandle(this.protocol)
  }

  /**
   * Asks one peer; resolves with its raw answer (the redirect logic interprets it). The answer, once read, is
   * the outcome: a close that fails after it does not undo it (withStream's answerLast; until 2026-12-03 it
   * turned an answer in hand into a TimeoutError). A request over MAX_REQUEST_BYTES is refused here
   * (RequestTooLargeError) before a stream is opened; until 2026-12-03 it was sent and the server reset it.
   */
  async ask (peer: PeerId, req: ReadRequest, options: { signal?: AbortSignal } = {}): Promise<ReadResponse> {
    checkRequestSize(this.protocol, ReadRequest.encode(req).byteLength, MAX_REQUEST_BYTES)
    return await withStream(this.components.libp2p, peer, this.protocol, async (stream, signal) => {
      const pbs = pbStream(stream, { maxDataLength: MAX_RESPONSE_BYTES, maxBufferSize: readBufferFor(MAX_RESPONSE_BYTES) })
      await pbs.write(req, ReadRequest, { signal })
      return await pbs.read(RESPONSE, { signal, limits: { blocks: 65_536, entries: MAX_KEYS_PER_READ } })
    }, { timeout: this.timeout, signal: options.signal, answerLast: true })
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    // a request is 4 KiB at most: nothing more is buffered (the reader's default is 4 MiB a stream)
    const pbs = pbStream(stream, { maxDataLength: MAX_REQUEST_BYTES, maxBufferSize: readBufferFor(MAX_REQUEST_BYTES) })
    let res: Partial<ReadResponse>
    const refused = await this.refusalOf(connection)
    if (refused != null) {
      // not even the request is read: an outsider learns nothing, not whether we hold the chain
      this.stats.refused++
      this.log('refusing a read from %p: %s', connection.remotePeer, refused)
      res = { status: Status.FORBIDDEN, message: refused }
    } else {
      const req = await withDeadline(this.timeout, async (signal) => await pbs.read(REQUEST, { signal }), 'no read request')
      try {
        res = await this.answer(req)
      } catch (err) {
        // the request was fine and this node failed it (its store): the reader moves on, told why
        this.log.error('read of %s from %p failed here: %s', req.chainId, connection.remotePeer, (err as Error).message)
        res = { status: Status.ERROR, message: `read failed on this holder: ${(err as Error).message}` }
      }
      this.stats.answered++
    }
    const full = readResponse(res)
    // the request limit bounds what we read; responses may be larger
    await withDeadline(this.timeout, async (signal) => { await pbStream(pbs.unwrap(), { maxDataLength: MAX_RESPONSE_BYTES }).write(full, ReadResponse, { signal }) }, 'read answer not taken')
  }

  /** Why the remote peer may not read (undefined: a member of our network), waiting a little for its identify to finish. */
  private async refusalOf (connection: Connection): Promise<string | undefined> {
    return await this.membership.refusalOf(connection, this.membershipWait, () => this.running)
  }

  /**
   * What this node answers for a request; bad requests get INVALID, never an exception.
   * `ownCopy`: a read of this node's own copy (a redirect read of the shared chain), which
   * no quorum counts as a holder's word: it is answered from the store even when the store
   * may still lack what this node voted for (see ReadComponents.settle).
   */
  async answer (req: ReadRequest, options: { ownCopy?: boolean } = {}): Promise<Partial<ReadResponse>> {
    const bad = checkReadRequest(req)
    if (bad != null) return { status: Status.INVALID, message: bad }
    if (req.leader) {
      const check = await this.components.confirmLeader?.(req.chainId) ?? { leads: false, reason: 'this node runs no consensus' }
      if (!check.leads) return { status: Status.NOT_LEADER, leader: check.leader ?? '', message: check.reason }
    }
    if (!req.leader) {
      const unsettled = await this.components.settle?.(req.chainId, { ownCopy: options.ownCopy === true })
      if (unsettled != null) return { status: Status.UNAVAILABLE, message: unsettled }
    }
    const { store, tables, libp2p } = this.components
    const self = libp2p.peerId.toString()
    const table = tables.get(req.chainId)
    const epoch = table?.table.epoch ?? 0
    const tableBytes = (table?.signed ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>
    const info = await store.info(req.chainId)
    if (info == null || info.height === 0) {
      if (table != null && req.chainId !== self) {
        // a pointer readers follow is the last one dropped; a failed note of it costs only its place
        tables.used(req.chainId).catch((err: Error) => { this.log('noting the use of the table of %s failed: %s', req.chainId, err.message) })
        return { status: Status.REDIRECT, epoch, table: tableBytes, message: 'released: ask the active backups' }
      }
      // our own chain, or one we run, with no block yet: nothing in it, which is an answer
      // (our own one said "not held here", and a read of it from here failed as unreachable: a review)
      const ours = req.chainId === self
      if (ours || this.components.runs?.(req.chainId) === true) {
        const role = ours ? Role.PROPOSER : Role.HOLDER
        if (req.kind === ReadRequest.Kind.TIP || req.kind === ReadRequest.Kind.KEYS) return { status: Status.OK, role, height: 0 }
        return { status: Status.NOT_FOUND, role, height: 0, message: req.kind === ReadRequest.Kind.KEY ? 'no such key' : `no block ${req.height}` }
      }
      return { status: Status.UNAVAILABLE, epoch, message: 'chain not held here' }
    }
    let role = Role.HOLDER
    if (req.chainId === self) role = Role.PROPOSER
    else if (table?.table.active.includes(self) === true) role = Role.ACTIVE
    else if (table?.table.obsolete.includes(self) === true) role = Role.STALE
    const base = { role, height: info.height, epoch, table: tableBytes, tipHash: info.tipHash as Uint8Array<ArrayBuffer> }

    switch (req.kind) {
      case ReadRequest.Kind.TIP:
        return { ...base, status: Status.OK }
      case ReadRequest.Kind.KEY: {
        let kv
        try {
          kv = await store.get(req.chainId, req.key)
        } catch (err) {
          if ((err as Error).name !== 'PayloadPrunedError') throw err
          // the key has a value, which this copy no longer holds (retention): no answer about it, ask another holder
          return { ...base, status: Status.UNAVAILABLE, message: 'value pruned here (retention): another holder may have it' }
        }
        if (kv == null) return { ...base, status: Status.NOT_FOUND, message: 'no such key' }
        // a block appended since the chain's height was read: both as of now (a reader refuses a value above the height)
        return { ...base, ...await this.heightAtLeast(req.chainId, base, kv.height), status: Status.OK, value: kv.value as Uint8Array<ArrayBuffer>, valueHeight: kv.height }
      }
      case ReadRequest.Kind.BLOCK: {
        const block = await store.getBlock(req.chainId, req.height)
        if (block == null) return { ...base, status: Status.NOT_FOUND, message: `no block ${req.height}` }
        return { ...base, status: Status.OK, blocks: [encodeBlock(block) as Uint8Array<ArrayBuffer>] }
      }
      case ReadRequest.Kind.KEYS: {
        const page = await this.keysPage(req)
        return { ...base, ...await this.heightAtLeast(req.chainId, base, Math.max(0, ...page.entries.map(e => e.height))), status: Status.OK, ...page }
      }
      default: {
        const blocks: Array<Uint8Array<ArrayBuffer>> = []
        let bytes = 0
        for await (const block of store.blocks(req.chainId, { from: req.height, to: Math.min(req.to, info.height) })) {
          const record = encodeBlock(block) as Uint8Array<ArrayBuffer>
          if (blocks.length > 0 && bytes + record.byteLength > RANGE_RESPONSE_BYTES) break
          blocks.push(record)
          bytes += record.byteLength
        }
        if (blocks.length === 0) return { ...base, status: Status.NOT_FOUND, message: 'no blocks in range' }
        return { ...base, status: Status.OK, blocks }
      }
    }
  }

  /** A KEYS answer's page: up to `limit` keys and KEYS_RESPONSE_BYTES of values (one entry at least), and whether more follow. */
  /** The chain's height and tip read again if what was read after them lies above them (a block appended meanwhile). */
  private async heightAtLeast (chainId: string, base: { height: number, tipHash: Uint8Array<ArrayBuffer> }, height: number): Promise<{ height: number, tipHash: Uint8Array<ArrayBuffer> }> {
    if (height <= base.height) return { height: base.height, tipHash: base.tipHash }
    const info = await this.components.store.info(chainId)
    return info == null ? { height: base.height, tipHash: base.tipHash } : { height: info.height, tipHash: info.tipHash as Uint8Array<ArrayBuffer> }
  }

  private async keysPage (req: ReadRequest): Promise<{ entries: KeyEntry[], more: boolean }> {
    const entries: KeyEntry[] = []
    let bytes = 0
    const scan = this.components.store.entries(req.chainId, { prefix: req.prefix, after: req.after === '' ? undefined : req.after, values: !req.keysOnly })
    for await (const e of scan) {
      const size = e.value?.byteLength ?? 0
      if (entries.length === req.limit || (entries.length > 0 && bytes + size > KEYS_RESPONSE_BYTES)) return { entries, more: true }
      bytes += size
      // values asked for and none here: the block that wrote it was pruned (retention)
      const pruned = !req.keysOnly && e.value == null
      entries.push({ key: e.key, height: e.height, value: (e.value ?? new Uint8Array(0)) as Uint8Array<ArrayBuffer>, pruned })
    }
    return { entries, more: false }
  }
}
