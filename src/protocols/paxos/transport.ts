/**
 * The transport of /vguard/paxos/1.0.0: one long-lived outbound stream per
 * peer, length-prefixed PaxosFrames on it, replies on the peer's own stream
 * back. Messages are fire-and-forget: Paxos retransmits on ticks, so a lost
 * frame costs a heartbeat, never safety.
 *
 * - Outbound: messages queue per peer (bounded; the oldest are dropped when
 *   a peer stops reading) and are packed into frames. A stream is opened only
 *   over an existing connection (peering keeps members connected; dialling a
 *   dead peer on every retransmission would only pile up dials), reused, and
 *   replaced after any failure.
 * - Inbound: only connected members of our network may open a stream. Every
 *   frame is size-limited, every repeated field bounded, every message
 *   checked by the state machine's validateMessage; a frame that does not
 *   decode ends the stream, a message that does not validate is dropped
 *   alone. A stream idle for IDLE_TIMEOUT is closed.
 */
import { setMaxListeners } from 'node:events'
import { randomBytes } from 'node:crypto'
import { toHex } from '../../chain/index.ts'
import { lpStream } from '../framing.ts'
import type { LengthPrefixedStream } from '@libp2p/utils'
import type { ComponentLogger, Connection, Libp2p, Logger, PeerId, Stream } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { protocolId, PROTOCOL_PREFIX } from '../constants.ts'
import { HALF_CLOSED_GRACE, IdleTimeout, readBufferFor, resetUnlessClosed, withDeadline } from '../stream.ts'
import { pingingMuxer } from '../muxer-ping.ts'
import { untilAborted } from '../until-aborted.ts'
import { usableConnection } from '../open-stream.ts'
import { InboundBudget } from '../inbound-budget.ts'
import { varintLength } from '../../chain/varint.ts'
import { InvalidMessageError, NotStartedError, ProtocolError } from '../errors.ts'
import { OlderProcessGoneError } from './errors.ts'
import { Hello, PaxosFrame } from './pb/paxos.ts'
import type { HeldBack, Readmitted, Recorded } from './pb/paxos.ts'
import { fromWire, frameLimits } from './messages.ts'
import { CloneWatch, CLONE_WINDOW } from './clones.ts'
import type { ChainMessage } from './messages.ts'
import { encodeWireMessage, frameBytes, lengthPrefixed } from './frame.ts'
import {
  DIAL_TIMEOUT, IDLE_TIMEOUT, INBOUND_BUDGET, MAX_ENTRIES_PER_MESSAGE, MAX_EPOCHS_PER_MESSAGE, MAX_FRAME_BYTES, MAX_INBOUND_STREAMS,
  MAX_MEMBERS, MAX_MESSAGES_PER_FRAME, MAX_OUTBOUND_STREAMS, OLDER_PROCESS_PING_TIMEOUT, MAX_QUEUE_BYTES, MAX_READMITTED, PROTOCOL_NAME, PROTOCOL_VERSION,
  REDIAL_BACKOFF, TARGET_FRAME_BYTES, WRITE_TIMEOUT
} from './constants.ts'

export interface PaxosTransportComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol' | 'peerId' | 'getConnections'>
  logger: ComponentLogger
  /** Connected members of our network (the peering's view); others may not open a stream. */
  isMember: (peer: PeerId) => boolean
}

export interface PaxosTransportInit {
  /** @default 'vguard' */
  protocolPrefix?: string
  /** @default 24 MiB */
  maxFrameBytes?: number
  /** @default 60 s */
  idleTimeout?: number
  /** @default 5 s */
  dialTimeout?: number
  /** @default 10 s */
  writeTimeout?: number
  /** @default 64 MiB */
  maxQueueBytes?: number
  /** After a stream to a peer could not be opened, messages to it are dropped this long (ms), unless it opens one to us first. @default 500 (REDIAL_BACKOFF) */
  redialBackoff?: number
  /** Bytes of frames partly received at once, over every inbound stream. @default 128 MiB (INBOUND_BUDGET) */
  inboundBudget?: number
}

export interface HelloInfo {
  priority: number
  sharedGenesis: string
  /** A permissioned shared chain's genesis booth (see Hello.sharedBooth). */
  sharedBooth?: string[]
  /** The shared chain has decided something (see Hello.sharedHeld). */
  sharedHeld?: boolean
  /** What the sender's database made it (see Hello.incarnation; received hellos only). */
  incarnation?: Uint8Array
  /** Members the sender counts again after they lost their database (see Hello.readmitted). */
  readmitted?: Readmitted[]
  /** Members whose votes the sender holds back (see Hello.heldBack). */
  heldBack?: HeldBack[]
  /** The founder's incarnation when it founded the sender's shared chain (see Hello.sharedFounding). */
  sharedFounding?: Uint8Array
  /** The best-ranked vehicle the sender sees while it has no shared chain (see Hello.formingBest). */
  formingBest?: { peer: string, priority: number }
  /** Peers the sender holds as two processes of one identity (see Hello.clones). */
  clones?: string[]
  /** The incarnations the sender has on record for members of its shared chain (see Hello.recorded). */
  recorded?: Recorded[]
  /** The sender refuses the shared chain our hello names (see Hello.sharedRefused; received hellos only: sent per link, see refusesChainOf). */
  sharedRefused?: boolean
}

const EMPTY = new Uint8Array(0) as Uint8Array<ArrayBuffer>

/** How long an inbound stream from a connected peer may wait for identify to make it a member. */
const MEMBERSHIP_WAIT = 5_000

/**
 * A leader retransmits unacknowledged accepts every heartbeat. Over a stream
 * that is still the one the accept went out on, TCP and yamux already
 * deliver it, and re-sending a 4 MiB value every 100 ms to a busy acceptor
 * only slows it down: the same accept goes again at most this often (and at
 * once over a new stream).
 */
const ACCEPT_RESEND_INTERVAL = 1_000
const MAX_REMEMBERED_ACCEPTS = 4_096

/**
 * Read errors that mean a frame broke a limit (or did not parse): the stream
 * ends and every message behind it is lost until the sender reopens one, so
 * they are logged as errors. StreamBufferError: more bytes arrived unread
 * than the reader buffers.
 */
const OVER_LIMIT = new Set(['InvalidMessageError', 'MaxLengthError', 'InvalidDataLengthError', 'InvalidDataLengthLengthError', 'InvalidMessageLengthError', 'StreamBufferError'])

export interface PaxosTransportStats {
  framesIn: number
  framesOut: number
  messagesIn: number
  messagesOut: number
  /** Frames that did not decode or broke a limit (their stream was ended). */
  malformedFrames: number
  /** Messages that decoded but failed validation (dropped one by one). */
  invalidMessages: number
  /** Streams refused because the peer is not a connected member. */
  refusedStreams: number
  /** Messages dropped before sending (no connection, full queue, failed write). */
  dropped: number
  /** Retransmitted accepts held back (the same accept went out on the same stream moments ago). */
  suppressed: number
  /** Messages dropped because two processes run their sender's identity (clones.ts). */
  cloneDropped: number
  /** Connections of an older process of a peer, asked once a newer one spoke, that answered (a clone) or were hung up (gone: clones.ts). */
  olderProcessAnswered: number
  olderProcessHungUp: number
}

interface Queued {
  /** The message's wire bytes (shared by every peer it goes to, see frame.ts). */
  wire: Uint8Array
  bytes: number
}

interface Link {
  peer: string
  stream?: Stream
  lp?: LengthPrefixedStream<Stream>
  queue: Queued[]
  queuedBytes: number
  writing: boolean
  needHello: boolean
  askBack: boolean
  backoffUntil: number
  /** Accepts sent on the current stream, and when (cleared when a stream is opened). */
  sentAccepts: Map<string, number>
}

/** A message's field header in its frame (tag and length). */
const FIELD_OVERHEAD = 6

/**
 * Wire bytes of the messages of one send() call. A leader's accept to each
 * member of a booth (the same value) and the decided values it pushes to
 * each learner (the same entries) are encoded once for all of them; the
 * rest of the message is compared, so sharing the value object alone never
 * shares bytes.
 */
function wireEncoder (): (cm: ChainMessage) => Uint8Array {
  const shared = new Map<unknown, { fields: string, wire: Uint8Array }>()
  return (cm) => {
    const m = cm.message
    const key = m.type === 'accept' ? m.value : m.type === 'decided' ? m.entries : undefined
    if (key == null) return encodeWireMessage(cm)
    const fields = m.type === 'accept'
      ? `${cm.chainId}\n${m.slot}\n${m.ballot.round}\n${m.ballot.proposer}\n${m.commit}\n${m.booth.join(',')}`
      : `${cm.chainId}\n${m.type === 'decided' ? m.commit : ''}`
    const hit = shared.get(key)
    if (hit != null && hit.fields === fields) return hit.wire
    const wire = encodeWireMessage(cm)
    shared.set(key, { fields, wire })
    return wire
  }
}

export class PaxosTransport {
  readonly protocol: string
  /** Called for every valid inbound message (sender authenticated, addressed to us). */
  onMessage: (from: string, message: ChainMessage) => void = () => {}
  /** Called when a peer says hello (at stream start and whenever its hello changes). */
  onHello: (from: string, hello: HelloInfo) => void = () => {}
  /**
   * Whether we refuse the shared chain `peer`'s hello names (Hello.sharedRefused), asked for each hello to
   * it: the one flag of a hello that is per link. Whoever changes the answer greets the peer again.
   */
  refusesChainOf: (peer: string) => boolean = () => false
  private readonly c: PaxosTransportComponents
  private readonly log: Logger
  private readonly self: string
  private readonly maxFrameBytes: number
  /** What a stream reader buffers (see readBufferFor): a frame near maxFrameBytes must fit whole. */
  private readonly maxBufferBytes: number
  private readonly idleTimeout: number
  private readonly dialTimeout: number
  private readonly writeTimeout: number
  private readonly maxQueueBytes: number
  private readonly redialBackoff: number
  /** Frames partly received over every inbound stream (see InboundBudget). */
  readonly inboundBytes: InboundBudget
  private readonly limits: Record<string, unknown>
  private readonly links = new Map<string, Link>()
  /** Addressees that are no peer id, said once each. */
  private readonly notPeers = new Set<string>()
  private readonly inbound = new Set<Stream>()
  /** Our hello as sent (askBack and incarnation set per link), and its encoding without them, to tell one that changed. */
  private hello: Hello = { priority: 0, sharedGenesis: '', sharedBooth: [], sharedHeld: false, askBack: false, incarnation: EMPTY, readmitted: [], heldBack: [], sharedFounding: EMPTY, instance: EMPTY, clones: [], recorded: [], sharedRefused: false }
  private helloBytes: Uint8Array = Hello.encode(this.hello)
  private incarnation: Uint8Array = new Uint8Array(0)
  /** This process's instance (Hello.instance): drawn at start, never stored. */
  private readonly instance = randomBytes(16) as Uint8Array<ArrayBuffer>
  /** Peers whose identity two processes run (clones.ts): what they say is dropped. */
  readonly clones = new CloneWatch()
  /** Peers held by the clone watch when it was last looked at, to tell a change. */
  private heldBefore = new Set<string>()
  /** Peers held for certain (clones.ts: confirmed) when it was last looked at. */
  private confirmedBefore = new Set<string>()
  /** Connections askOlder is asking now (by id). */
  private readonly asking = new Set<string>()
  /**
   * Called when the peers the clone watch holds change: `changes` names each
   * peer newly held for certain (`cloned` true) or no longer (false); it is
   * empty when only a hold that was not certain began or ended.
   */
  onClonesChanged: (changes: Array<{ peer: string, cloned: boolean }>) => void = () => {}
  private running = false
  readonly stats: PaxosTransportStats = { framesIn: 0, framesOut: 0, messagesIn: 0, messagesOut: 0, malformedFrames: 0, invalidMessages: 0, refusedStreams: 0, dropped: 0, suppressed: 0, cloneDropped: 0, olderProcessAnswered: 0, olderProcessHungUp: 0 }

  constructor (components: PaxosTransportComponents, init: PaxosTransportInit = {}) {
    this.c = components
    this.protocol = protocolId(PROTOCOL_NAME, PROTOCOL_VERSION, init.protocolPrefix ?? PROTOCOL_PREFIX)
    this.log = components.logger.forComponent('vguard:paxos')
    this.self = components.libp2p.peerId.toString()
    this.maxFrameBytes = init.maxFrameBytes ?? MAX_FRAME_BYTES
    this.maxBufferBytes = readBufferFor(this.maxFrameBytes)
    this.idleTimeout = init.idleTimeout ?? IDLE_TIMEOUT
    this.dialTimeout = init.dialTimeout ?? DIAL_TIMEOUT
    this.writeTimeout = init.writeTimeout ?? WRITE_TIMEOUT
    this.maxQueueBytes = init.maxQueueBytes ?? MAX_QUEUE_BYTES
    this.redialBackoff = init.redialBackoff ?? REDIAL_BACKOFF
    this.inboundBytes = new InboundBudget(init.inboundBudget ?? INBOUND_BUDGET, 'paxos frames')
    this.limits = frameLimits(MAX_MESSAGES_PER_FRAME, MAX_ENTRIES_PER_MESSAGE, MAX_EPOCHS_PER_MESSAGE, MAX_MEMBERS, MAX_READMITTED)
  }

  async start (): Promise<void> {
    if (this.running) return
    await this.c.libp2p.handle(this.protocol, (stream, connection) => { void this.serve(stream, connection) }, {
      maxInboundStreams: MAX_INBOUND_STREAMS,
      maxOutboundStreams: MAX_OUTBOUND_STREAMS
    })
    this.running = true
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    await this.c.libp2p.unhandle(this.protocol)
    for (const link of this.links.values()) this.reset(link, new NotStartedError('paxos transport stopped'))
    this.links.clear()
    for (const stream of this.inbound) stream.abort(new NotStartedError('paxos transport stopped'))
    this.inbound.clear()
  }

  /** Our database's incarnation (Hello.incarnation), sent in every hello from now on. */
  setIncarnation (incarnation: Uint8Array): void {
    this.incarnation = incarnation
  }

  /** Our hello (Bully priority, shared chain founder); sent on every stream, again when it changes. */
  setHello (hello: HelloInfo): void {
    const next: Hello = {
      priority: hello.priority,
      sharedGenesis: hello.sharedGenesis,
      sharedBooth: [...(hello.sharedBooth ?? [])],
      sharedHeld: hello.sharedHeld === true,
      askBack: false,
      incarnation: EMPTY,
      instance: EMPTY,
      readmitted: (hello.readmitted ?? []).slice(-MAX_READMITTED),
      heldBack: (hello.heldBack ?? []).slice(0, MAX_READMITTED),
      sharedFounding: (hello.sharedFounding ?? EMPTY) as Uint8Array<ArrayBuffer>,
      clones: (hello.clones ?? []).slice(0, MAX_READMITTED),
      recorded: (hello.recorded ?? []).slice(0, MAX_MEMBERS),
      sharedRefused: false,
      ...(hello.formingBest == null ? {} : { formingBest: { ...hello.formingBest } })
    }
    const bytes = Hello.encode(next)
    if (Buffer.compare(bytes, this.helloBytes) === 0) return
    this.hello = next
    this.helloBytes = bytes
    for (const link of this.links.values()) {
      link.needHello = true
      this.flush(link)
    }
  }

  /** Says hello to a peer now (opens our stream to it if connected); `askBack`: we lack its hello. */
  greet (peer: string, askBack = false): void {
    const link = this.link(peer)
    if (link == null) return
    link.needHello = true
    link.askBack ||= askBack
    this.flush(link)
  }

  /** Forgets a peer that disconnected: its stream is gone, and its queue is stale. */
  forget (peer: string): void {
    const link = this.links.get(peer)
    if (link == null) return
    this.reset(link)
    this.stats.dropped += link.queue.length
    this.links.delete(peer)
  }

  /** Peers we keep a link to (a stream, a queue, the accepts sent on it): connected ones only, once their queues are written. */
  get linkCount (): number {
    return this.links.size
  }

  /** Queues messages for their addressees (fire and forget). */
  send (messages: ChainMessage[]): void {
    if (!this.running) return
    const encode = wireEncoder()
    for (const cm of messages) {
      const to = cm.message.to
      if (to === this.self) continue
      const link = this.link(to)
      if (link == null || performance.now() < link.backoffUntil) {
        this.stats.dropped++
        continue
      }
      if (cm.message.type === 'accept') {
        const m = cm.message
        const key = `${cm.chainId}\n${m.slot}\n${m.ballot.round}\n${m.ballot.proposer}`
        const sent = link.sentAccepts.get(key)
        const now = performance.now()
        if (sent != null && now - sent < ACCEPT_RESEND_INTERVAL) {
          this.stats.suppressed++
          continue
        }
        link.sentAccepts.delete(key)
        link.sentAccepts.set(key, now)
        if (link.sentAccepts.size > MAX_REMEMBERED_ACCEPTS) link.sentAccepts.delete(link.sentAccepts.keys().next().value as string)
      }
      const wire = encode(cm)
      const bytes = wire.byteLength + FIELD_OVERHEAD
      link.queue.push({ wire, bytes })
      link.queuedBytes += bytes
      // a peer that stopped reading must not grow our memory: drop the oldest
      while (link.queuedBytes > this.maxQueueBytes && link.queue.length > 1) {
        const old = link.queue.shift() as Queued
        link.queuedBytes -= old.bytes
        this.stats.dropped++
      }
    }
    for (const link of this.links.values()) {
      if (link.queue.length > 0) this.flush(link)
    }
  }

  /**
   * The link to a peer; undefined for an addressee that is no peer id (a
   * booth a bad genesis made): nothing can be sent to it, and a link to it
   * would fail at every write.
   */
  private link (peer: string): Link | undefined {
    let link = this.links.get(peer)
    if (link == null) {
      try {
        peerIdFromString(peer)
      } catch {
        if (!this.notPeers.has(peer) && this.notPeers.size < 64) {
          this.notPeers.add(peer)
          this.log.error('paxos: %s is no peer id: messages to it are dropped', JSON.stringify(peer.slice(0, 80)))
        }
        return undefined
      }
      link = { peer, queue: [], queuedBytes: 0, writing: false, needHello: true, askBack: false, backoffUntil: 0, sentAccepts: new Map() }
      this.links.set(peer, link)
    }
    return link
  }

  private reset (link: Link, err?: Error): void {
    const stream = link.stream
    link.stream = undefined
    link.lp = undefined
    if (stream == null) return
    if (err != null) stream.abort(err)
    else void stream.close().catch(() => { stream.abort(new ProtocolError('close failed')) })
  }

  private dropQueue (link: Link): void {
    this.stats.dropped += link.queue.length
    link.queue = []
    link.queuedBytes = 0
  }

  private flush (link: Link): void {
    if (link.writing || !this.running) return
    link.writing = true
    void this.write(link).catch((err: Error) => {
      // write() handles a failed stream itself; anything else must not leave the queue to be
      // flushed again at once, forever (a loop of microtasks starves the node's timers and I/O)
      this.log.error('paxos link to %s failed, %d messages dropped: %s', link.peer, link.queue.length, err.message)
      this.dropQueue(link)
      link.backoffUntil = performance.now() + this.redialBackoff
    }).finally(() => {
      link.writing = false
      if (this.running && this.links.get(link.peer) === link && (link.queue.length > 0 || link.needHello) && performance.now() >= link.backoffUntil) {
        this.flush(link)
      }
    })
  }

  /** The open stream to the peer, if any (no await on the hot path: a frame goes out in the turn it was queued). */
  private current (link: Link): Stream | undefined {
    return link.lp != null && link.stream?.status === 'open' ? link.stream : undefined
  }

  private async open (link: Link): Promise<Stream | undefined> {
    const open = this.current(link)
    if (open != null) return open
    this.reset(link)
    const peerId = peerIdFromString(link.peer)
    // Paxos never dials: the newest connection that can carry a stream (open-stream.ts)
    const connection = usableConnection(this.c.libp2p.getConnections(peerId))
    if (connection == null) return undefined
    const signal = AbortSignal.timeout(this.dialTimeout)
    setMaxListeners(Infinity, signal)
    const stream = await connection.newStream(this.protocol, { signal, negotiateFully: false })
    if (stream.status !== 'open') {
      stream.abort(new ProtocolError('stream closed while opening'))
      return undefined
    }
    stream.addEventListener('close', (evt) => {
      if (link.stream !== stream) return
      link.stream = undefined
      link.lp = undefined
      // the peer reset it (it logs why) or the connection went: what was in flight is lost, Paxos resends it
      if (evt.error != null) this.log('paxos stream to %s was reset: %s', link.peer, evt.error.message)
    }, { once: true })
    // The peer ends its side only when our stream went idle (it stopped
    // reading it): end ours too and let the next message open a new stream.
    // Writing on into the half-closed stream delivered nothing, and nothing
    // told us: a member whose replies to a proposer had paused for the idle
    // timeout lost every later reply.
    stream.addEventListener('remoteCloseWrite', () => {
      if (link.stream !== stream) return
      link.stream = undefined
      link.lp = undefined
      this.log('paxos stream to %s ended by the peer (idle)', link.peer)
      void stream.close().catch((err: Error) => { stream.abort(err) })
    }, { once: true })
    link.stream = stream
    // the peer never writes on our stream, but the reader is sized like the inbound one all the same
    link.lp = lpStream(stream, { maxDataLength: this.maxFrameBytes, maxBufferSize: this.maxBufferBytes })
    link.needHello = true
    link.sentAccepts.clear()
    return stream
  }

  private async write (link: Link): Promise<void> {
    while (this.running && (link.queue.length > 0 || link.needHello)) {
      let stream = this.current(link)
      if (stream == null && this.c.libp2p.getConnections(peerIdFromString(link.peer)).length === 0) {
        // nothing to send on, and we never dial for Paxos: drop the link, not only its queue.
        // Replicas go on addressing a booth member that drove off (forget() ran at its
        // disconnect, before), and every such vehicle kept a link with its remembered accepts.
        this.dropQueue(link)
        if (this.links.get(link.peer) === link) this.links.delete(link.peer)
        return
      }
      if (stream == null) {
        try {
          stream = await this.open(link)
          // a hello that opened it (greet) ends a backoff an earlier failure began: messages go out again at once
          link.backoffUntil = 0
        } catch (err) {
          this.log.trace('no paxos stream to %s: %s', link.peer, (err as Error).message)
          stream = undefined
        }
      }
      if (stream == null) {
        link.backoffUntil = performance.now() + this.redialBackoff
        link.needHello = true
        this.dropQueue(link)
        return
      }
      const hello: Hello | undefined = link.needHello ? { ...this.hello, askBack: link.askBack, incarnation: this.incarnation as Uint8Array<ArrayBuffer>, instance: this.instance, sharedRefused: this.refusesChainOf(link.peer) } : undefined
      const messages: Uint8Array[] = []
      let bytes = 0
      while (link.queue.length > 0 && messages.length < MAX_MESSAGES_PER_FRAME) {
        const next = link.queue[0]
        if (messages.length > 0 && bytes + next.bytes > TARGET_FRAME_BYTES) break
        link.queue.shift()
        link.queuedBytes -= next.bytes
        messages.push(next.wire)
        bytes += next.bytes
      }
      try {
        if (!stream.send(lengthPrefixed(frameBytes(messages, hello)))) {
          // the peer reads slower than we write: wait, but not for a peer that stopped reading
          const signal = AbortSignal.timeout(this.writeTimeout)
          setMaxListeners(Infinity, signal)
          await stream.onDrain({ signal })
        }
        if (hello != null) {
          link.needHello = false
          link.askBack = false
        }
        this.stats.framesOut++
        this.stats.messagesOut += messages.length
      } catch (err) {
        this.log.error('paxos stream to %s failed, %d messages dropped: %s', link.peer, messages.length, (err as Error).message)
        this.stats.dropped += messages.length
        this.reset(link, err as Error)
        link.needHello = true
      }
    }
  }

  private async serve (stream: Stream, connection: Connection): Promise<void> {
    const from = connection.remotePeer
    // why the stream closed, if it was aborted or reset: a read after that only sees the stream closed
    let closedBy: Error | undefined
    stream.addEventListener('close', (evt) => { closedBy = evt.error }, { once: true })
    // a peer may open its stream the moment its identify finished, before ours did
    const until = performance.now() + MEMBERSHIP_WAIT
    while (this.running && !this.c.isMember(from) && connection.status === 'open' && performance.now() < until) {
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    if (stream.status !== 'open') {
      // while we waited, nothing read the stream: libp2p holds up to its maxReadBufferLength
      // (4 MiB) for a peer not known yet, then resets it; the sender retries on a new stream
      this.log('paxos stream from %p closed before it was read: %s', from, closedBy?.message ?? stream.status)
      return
    }
    if (!this.running || !this.c.isMember(from)) {
      this.stats.refusedStreams++
      this.log('refusing a paxos stream from %p: not a connected member', from)
      stream.abort(new ProtocolError('not a member of this network'))
      return
    }
    const peer = from.toString()
    // it speaks the protocol now (a stream to it failed while its node started, before it registered
    // the protocol): what we send it goes out at once, not after the backoff (each retransmission dropped)
    const link = this.links.get(peer)
    if (link != null) link.backoffUntil = 0
    this.inbound.add(stream)
    // a frame carries whole values (a 4 MiB block's batch, catch-up answers of several):
    // with @libp2p/utils' default 4 MiB read buffer such a frame reset the stream on every try
    const metered = this.inboundBytes.meter(stream)
    const lp = lpStream(stream, { maxDataLength: this.maxFrameBytes, maxBufferSize: this.maxBufferBytes })
    // one idle timer per stream, pushed back after every frame (not a timer and a signal per frame)
    const idle = new IdleTimeout(this.idleTimeout, undefined, `no paxos frame from ${peer}`)
    /** The instance the stream's first hello named ('' for none: a build that sends none). */
    let instance: string | undefined
    try {
      while (this.running) {
        let bytes
        try {
          bytes = await lp.read({ signal: idle.signal })
          metered.consumed(varintLength(bytes.byteLength) + bytes.byteLength)
          idle.touch()
        } catch (err) {
          const name = (err as Error).name
          // idle (the sender opens a new stream when it has news), or the sender
          // closed its end between frames: nothing to report. We close ours too:
          // a stream is freed only once both ends are closed, and one left
          // half-open stayed until the connection ended
          if (name === 'TimeoutError' || name === 'AbortError' || (name === 'UnexpectedEOFError' && closedBy == null)) {
            await stream.close({ signal: AbortSignal.timeout(1_000) }).catch(() => { stream.abort(err as Error) })
            // close() ends our side only: a sender that keeps its own open
            // (an honest one ends it when told, see open()) holds the stream
            // and its slot, with whatever it sends buffered unread. Reset it
            resetUnlessClosed(stream, HALF_CLOSED_GRACE, `${peer} kept its end of an idle paxos stream open: reset`, (why) => { this.log(why) })
            return
          }
          // aborted or reset: report why (the reader's own overflow aborts the stream too)
          throw closedBy != null && !OVER_LIMIT.has(name) ? closedBy : err
        }
        let frame: PaxosFrame
        try {
          frame = PaxosFrame.decode(bytes, { limits: this.limits })
        } catch (err) {
          throw new InvalidMessageError(`paxos: malformed frame from ${peer}: ${(err as Error).message}`)
        }
        this.stats.framesIn++
        if (instance == null) {
          instance = frame.hello != null ? toHex(frame.hello.instance) : ''
          this.clones.opened(peer, instance, connection.id)
          this.askOlder(from)
        }
        this.clones.heard(peer, instance)
        if (this.clones.held(peer)) {
          this.stats.cloneDropped += frame.messages.length
          this.checkClones()
          continue
        }
        if (this.heldBefore.has(peer)) this.checkClones()
        if (frame.hello != null) {
          const { askBack: _, instance: __, ...hello } = frame.hello
          this.onHello(peer, hello)
          if (frame.hello.askBack) this.greet(peer)
        }
        for (const pb of frame.messages) {
          let cm: ChainMessage
          try {
            cm = fromWire(pb, peer, this.self)
          } catch (err) {
            this.stats.invalidMessages++
            this.log('dropped an invalid paxos message from %s: %s', peer, (err as Error).message)
            continue
          }
          this.stats.messagesIn++
          this.onMessage(peer, cm)
        }
      }
    } catch (err) {
      const name = (err as Error).name
      if (OVER_LIMIT.has(name)) {
        this.stats.malformedFrames++
        this.log.error('paxos stream from %s ended, messages on it are lost until %s reopens one: %s: %s', peer, peer, name, (err as Error).message)
      } else {
        this.log('paxos stream from %s ended: %s', peer, (err as Error).message)
      }
      stream.abort(err as Error)
    } finally {
      idle.clear()
      metered.release()
      this.inbound.delete(stream)
      if (instance != null) {
        this.clones.closed(peer, instance, connection.id)
        if (this.heldBefore.has(peer)) this.checkClones()
      }
    }
  }

  /**
   * Asks each connection that carries a stream of an older instance of
   * `peer`, while a newer one speaks, whether a process still runs behind it
   * (clones.ts): a host that crashed left it open. No pong within
   * OLDER_PROCESS_PING_TIMEOUT: it is hung up, its streams close and the hold
   * ends. A pong: a second process runs this identity.
   */
  private askOlder (peer: PeerId): void {
    const id = peer.toString()
    for (const connectionId of this.clones.olderConnections(id)) {
      if (this.asking.has(connectionId)) continue
      const connection = this.c.libp2p.getConnections(peer).find(c => c.id === connectionId)
      // gone already: its streams are closing, and the hold ends with them
      if (connection == null) continue
      const muxer = pingingMuxer(connection)
      if (muxer == null) {
        // no way to ask: a process may run behind it (held until its streams close, as before)
        this.clones.answered(id, connectionId)
        this.checkClones()
        continue
      }
      this.asking.add(connectionId)
      withDeadline(OLDER_PROCESS_PING_TIMEOUT, async (signal) => await untilAborted(muxer.ping(), signal), 'no pong')
        .then(() => {
          this.stats.olderProcessAnswered++
          this.clones.answered(id, connectionId)
          this.checkClones()
        }, (err: Error) => {
          this.stats.olderProcessHungUp++
          this.log('paxos: a new process of %s speaks, and the connection of its older one did not answer a ping (%s): hung up, the older one is gone (a host restarted)', id, err.message)
          connection.abort(new OlderProcessGoneError(`${id}'s older process did not answer once a new one spoke`))
        })
        .finally(() => { this.asking.delete(connectionId) })
    }
  }

  /**
   * Looks at the clone watch again (after a frame from a held peer, on a
   * stream's end, after a ping of askOlder, and now and then: the driver's
   * ticks): says which peers it holds, and which for certain, when that
   * changed, and forgets instances long silent.
   */
  checkClones (): void {
    this.clones.prune()
    const held = new Set(this.clones.heldPeers())
    const confirmed = new Set(this.clones.confirmedPeers())
    const changes = [
      ...[...confirmed].filter(peer => !this.confirmedBefore.has(peer)).map(peer => ({ peer, cloned: true })),
      ...[...this.confirmedBefore].filter(peer => !confirmed.has(peer)).map(peer => ({ peer, cloned: false }))
    ]
    const newlyHeld = [...held].filter(peer => !this.heldBefore.has(peer))
    const released = [...this.heldBefore].filter(peer => !held.has(peer))
    for (const peer of newlyHeld) {
      if (!confirmed.has(peer)) this.log('paxos: a new process of %s speaks while a stream of its older one is open: held until it is known whether the older one still runs', peer)
    }
    this.heldBefore = held
    // the hello a held peer sent was dropped with its frame, and a new process sends its hello once
    // per stream: what we keep is its older process's (another incarnation, after a lost database).
    // Ask it for its hello again
    for (const peer of released) this.greet(peer, true)
    this.confirmedBefore = confirmed
    if (changes.length === 0 && newlyHeld.length === 0 && released.length === 0) return
    for (const { peer, cloned } of changes) {
      if (cloned) this.log.error('paxos: two processes run the identity of %s (a data dir copied with its peer.key?): what it says is dropped, and it counts as no member, until only one of them is heard for %d s', peer, CLONE_WINDOW / 1000)
      else this.log('paxos: %s is heard as one process again: a member again', peer)
    }
    this.onClonesChanged(changes)
  }
}
