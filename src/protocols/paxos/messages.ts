/**
 * Consensus messages ↔ wire frames. Decoding untrusted frames: the sender is
 * the stream's authenticated remote peer and the addressee is us, whatever
 * the bytes say; field shapes are then checked by the state machine's own
 * validateMessage, so a malformed message is refused before it can change
 * anything.
 */
import { validateMessage } from '../../consensus/index.ts'
import type { Ballot, BoothEpoch, Decided, Entry, Message, Value, ValueProof } from '../../consensus/index.ts'
import { InvalidMessageError } from '../errors.ts'
import { MAX_CHAIN_ID_BYTES } from '../../chain/index.ts'
import { Ballot as PbBallot, BoothEpoch as PbBoothEpoch, Entry as PbEntry, PaxosMessage, Value as PbValue, ValueProof as PbValueProof } from './pb/paxos.ts'

/** What travels with a snapshot: the chain height and block hash at its slot. */
export interface SnapshotPoint {
  height: number
  hash: Uint8Array
}

/** Where a vehicle's chain stood at a slot, as its proposer says. */
export interface ChainPoint extends SnapshotPoint {
  slot: number
}

/** A consensus message of one chain, as the transport carries it. */
export interface ChainMessage {
  chainId: string
  message: Message
  /** SNAPSHOT only: where the chain stood at the snapshot's slot. */
  point?: SnapshotPoint
  /**
   * ACCEPT and HEARTBEAT of a vehicle's own chain: where the chain stood at
   * the proposer's last applied slot. Its booth members keep no blocks; with
   * it they can say where the chain stood at the slot they compact to, and a
   * proposer that lost its chain fetches it from its backups up to there.
   * PROMISE from a member of a vehicle's own chain: the newest point it
   * knows where the chain stood (one the vehicle named, or the one its log
   * is compacted at); CATCHUP from such a member: the newest below the slot
   * asked from. The vehicle compares it with its own history (a lost one
   * goes another way).
   */
  chainAt?: ChainPoint
  /** accept, heartbeat of a vehicle's own chain: the height its backups hold (PaxosMessage.heldHeight). */
  held?: number
}

const TYPE_TO_PB: Record<Message['type'], PaxosMessage.Type> = {
  prePrepare: PaxosMessage.Type.PRE_PREPARE,
  prePromise: PaxosMessage.Type.PRE_PROMISE,
  prepare: PaxosMessage.Type.PREPARE,
  promise: PaxosMessage.Type.PROMISE,
  nack: PaxosMessage.Type.NACK,
  accept: PaxosMessage.Type.ACCEPT,
  accepted: PaxosMessage.Type.ACCEPTED,
  heartbeat: PaxosMessage.Type.HEARTBEAT,
  heartbeatAck: PaxosMessage.Type.HEARTBEAT_ACK,
  catchup: PaxosMessage.Type.CATCHUP,
  decided: PaxosMessage.Type.DECIDED,
  snapshot: PaxosMessage.Type.SNAPSHOT
}

const TYPE_FROM_PB = new Map<PaxosMessage.Type, Message['type']>(Object.entries(TYPE_TO_PB).map(([k, v]) => [v, k as Message['type']]))

const EMPTY = new Uint8Array(0) as Uint8Array<ArrayBuffer>

function ballotToPb (b: Ballot): PbBallot {
  return { round: b.round, proposer: b.proposer }
}

function ballotFromPb (b: PbBallot | undefined, what: string): Ballot {
  if (b == null) throw new InvalidMessageError(`paxos: ${what} missing`)
  return { round: b.round, proposer: b.proposer }
}

function valueToPb (v: Value): PbValue {
  switch (v.kind) {
    case 'data': return { kind: PbValue.Kind.DATA, id: v.id, data: v.data as Uint8Array<ArrayBuffer>, members: [] }
    case 'noop': return { kind: PbValue.Kind.NOOP, id: '', data: EMPTY, members: [] }
    case 'booth': return { kind: PbValue.Kind.BOOTH, id: '', data: EMPTY, members: [...v.members] }
  }
}

function valueFromPb (v: PbValue | undefined): Value {
  if (v == null) throw new InvalidMessageError('paxos: value missing')
  switch (v.kind) {
    case PbValue.Kind.DATA: return { kind: 'data', id: v.id, data: v.data }
    case PbValue.Kind.NOOP: return { kind: 'noop' }
    case PbValue.Kind.BOOTH: return { kind: 'booth', members: v.members }
    default: throw new InvalidMessageError(`paxos: unknown value kind ${String(v.kind)}`)
  }
}

function proofToPb (p: ValueProof | undefined): PbValueProof | undefined {
  return p == null ? undefined : { round: p.round, signature: p.signature as Uint8Array<ArrayBuffer> }
}

/** The entry or decided value, with its proof when the wire carries one (validateMessage checks it). */
function withProof<T extends Entry | Decided> (out: T, p: PbValueProof | undefined): T {
  if (p != null) out.proof = { round: p.round, signature: p.signature }
  return out
}

function entryToPb (e: Entry): PbEntry {
  return { slot: e.slot, ballot: ballotToPb(e.ballot), value: valueToPb(e.value), booth: [...e.booth], decided: e.decided, proof: proofToPb(e.proof) }
}

function entryFromPb (e: PbEntry): Entry {
  return withProof<Entry>({ slot: e.slot, ballot: ballotFromPb(e.ballot, 'entry ballot'), value: valueFromPb(e.value), booth: e.booth, decided: e.decided }, e.proof)
}

function decidedToPb (d: Decided): PbEntry {
  return { slot: d.slot, value: valueToPb(d.value), booth: [...d.booth], decided: true, proof: proofToPb(d.proof) }
}

function decidedFromPb (e: PbEntry): Decided {
  return withProof<Decided>({ slot: e.slot, value: valueFromPb(e.value), booth: e.booth }, e.proof)
}

function epochsToPb (epochs: BoothEpoch[]): PbBoothEpoch[] {
  return epochs.map(e => ({ slot: e.slot, members: [...e.members] }))
}

function epochsFromPb (epochs: PbBoothEpoch[]): BoothEpoch[] {
  return epochs.map(e => ({ slot: e.slot, members: e.members }))
}

/** Encodes one message of a chain; `from` and `to` stay off the wire. */
export function toWire (cm: ChainMessage): PaxosMessage {
  const m = cm.message
  const pb: PaxosMessage = {
    type: TYPE_TO_PB[m.type],
    chainId: cm.chainId,
    slot: 0,
    commit: 0,
    booth: [],
    entries: [],
    booths: [],
    height: 0,
    hash: EMPTY,
    read: 0,
    granted: false,
    pointSlot: 0,
    proof: EMPTY,
    commitProof: EMPTY,
    provenCommit: 0,
    takeover: false
  }
  switch (m.type) {
    case 'prePrepare':
      pb.ballot = ballotToPb(m.ballot)
      pb.takeover = m.takeover === true
      break
    case 'prePromise':
      pb.ballot = ballotToPb(m.ballot)
      pb.granted = m.granted
      pb.promised = ballotToPb(m.promised)
      break
    case 'prepare':
      pb.ballot = ballotToPb(m.ballot)
      pb.slot = m.slot
      pb.takeover = m.takeover === true
      break
    case 'promise':
      pb.ballot = ballotToPb(m.ballot)
      pb.commit = m.commit
      pb.booths = epochsToPb(m.booths)
      pb.entries = m.entries.map(entryToPb)
      if (m.commitProof != null) {
        pb.provenCommit = m.commitProof.commit
        pb.commitProof = m.commitProof.signature as Uint8Array<ArrayBuffer>
      }
      chainAtToPb(cm, pb)
      break
    case 'nack':
      pb.ballot = ballotToPb(m.ballot)
      pb.promised = ballotToPb(m.promised)
      break
    case 'accept':
      pb.ballot = ballotToPb(m.ballot)
      pb.slot = m.slot
      pb.value = valueToPb(m.value)
      pb.booth = [...m.booth]
      pb.commit = m.commit
      if (m.proof != null) pb.proof = m.proof as Uint8Array<ArrayBuffer>
      commitProofToPb(m.commitProof, pb)
      chainAtToPb(cm, pb)
      break
    case 'accepted':
      pb.ballot = ballotToPb(m.ballot)
      pb.slot = m.slot
      break
    case 'heartbeat':
      pb.ballot = ballotToPb(m.ballot)
      pb.commit = m.commit
      pb.read = m.read ?? 0
      commitProofToPb(m.commitProof, pb)
      chainAtToPb(cm, pb)
      break
    case 'heartbeatAck':
      pb.ballot = ballotToPb(m.ballot)
      pb.read = m.read
      // `slot` carries the fill request (an ack has no slot of its own)
      pb.slot = m.fill ?? 0
      break
    case 'catchup':
      pb.slot = m.slot
      chainAtToPb(cm, pb)
      break
    case 'decided':
      pb.entries = m.entries.map(decidedToPb)
      pb.commit = m.commit
      commitProofToPb(m.commitProof, pb)
      break
    case 'snapshot':
      pb.slot = m.slot
      pb.booths = epochsToPb(m.booths)
      commitProofToPb(m.commitProof, pb)
      if (cm.point != null) {
        pb.height = cm.point.height
        pb.hash = cm.point.hash as Uint8Array<ArrayBuffer>
      }
      break
  }
  return pb
}

/**
 * Decodes one wire message from `from` to `self` and validates its shape.
 *
 * @throws InvalidMessageError (nothing was delivered)
 */
export function fromWire (pb: PaxosMessage, from: string, self: string): ChainMessage {
  const type = TYPE_FROM_PB.get(pb.type)
  if (type == null) throw new InvalidMessageError(`paxos: unknown message type ${String(pb.type)}`)
  if (pb.chainId === '' || Buffer.byteLength(pb.chainId) > MAX_CHAIN_ID_BYTES) throw new InvalidMessageError('paxos: bad chain id')
  const base = { from, to: self }
  let raw: Record<string, unknown>
  switch (type) {
    case 'prePrepare': raw = { ...base, type, ballot: ballotFromPb(pb.ballot, 'ballot'), ...(pb.takeover ? { takeover: true } : {}) }; break
    case 'prePromise': raw = { ...base, type, ballot: ballotFromPb(pb.ballot, 'ballot'), granted: pb.granted, promised: ballotFromPb(pb.promised, 'promised') }; break
    case 'prepare': raw = { ...base, type, ballot: ballotFromPb(pb.ballot, 'ballot'), slot: pb.slot, ...(pb.takeover ? { takeover: true } : {}) }; break
    case 'promise': raw = { ...base, type, ballot: ballotFromPb(pb.ballot, 'ballot'), commit: pb.commit, booths: epochsFromPb(pb.booths), entries: pb.entries.map(entryFromPb), ...(pb.provenCommit > 0 || pb.commitProof.byteLength > 0 ? { commitProof: { commit: pb.provenCommit, signature: pb.commitProof } } : {}) }; break
    case 'nack': raw = { ...base, type, ballot: ballotFromPb(pb.ballot, 'ballot'), promised: ballotFromPb(pb.promised, 'promised') }; break
    case 'accept': raw = { ...base, type, ballot: ballotFromPb(pb.ballot, 'ballot'), slot: pb.slot, value: valueFromPb(pb.value), booth: pb.booth, commit: pb.commit, ...(pb.proof.byteLength > 0 ? { proof: pb.proof } : {}), ...commitProofFromPb(pb) }; break
    case 'accepted': raw = { ...base, type, ballot: ballotFromPb(pb.ballot, 'ballot'), slot: pb.slot }; break
    case 'heartbeat': raw = { ...base, type, ballot: ballotFromPb(pb.ballot, 'ballot'), commit: pb.commit, ...(pb.read > 0 ? { read: pb.read } : {}), ...commitProofFromPb(pb) }; break
    case 'heartbeatAck': raw = { ...base, type, ballot: ballotFromPb(pb.ballot, 'ballot'), read: pb.read, ...(pb.slot > 0 ? { fill: pb.slot } : {}) }; break
    case 'catchup': raw = { ...base, type, slot: pb.slot }; break
    case 'decided': raw = { ...base, type, entries: pb.entries.map(decidedFromPb), commit: pb.commit, ...commitProofFromPb(pb) }; break
    case 'snapshot': raw = { ...base, type, slot: pb.slot, booths: epochsFromPb(pb.booths), ...commitProofFromPb(pb) }; break
  }
  let message: Message
  try {
    message = validateMessage(raw, self)
  } catch (err) {
    throw new InvalidMessageError((err as Error).message)
  }
  const out: ChainMessage = { chainId: pb.chainId, message }
  // a height no chain reaches (past 2^53 it is not even the number sent) makes no point: dropped, the message still counts
  const point = pb.hash.byteLength === 32 && Number.isSafeInteger(pb.height)
  if (type === 'snapshot' && pb.height > 0 && point) out.point = { height: pb.height, hash: pb.hash }
  // a point past the commit the sender states is not one it applied (or compacted at): dropped, the message still counts
  if ((type === 'accept' || type === 'heartbeat' || type === 'promise') && pb.pointSlot > 0 && pb.pointSlot <= pb.commit && point) {
    out.chainAt = { slot: pb.pointSlot, height: pb.height, hash: pb.hash }
  }
  // a member's catch-up: the newest point it knows below the slot it asks from
  if (type === 'catchup' && pb.pointSlot > 0 && pb.pointSlot < pb.slot && point) {
    out.chainAt = { slot: pb.pointSlot, height: pb.height, hash: pb.hash }
  }
  if ((type === 'accept' || type === 'heartbeat') && pb.heldHeight != null && Number.isSafeInteger(pb.heldHeight)) out.held = pb.heldHeight
  return out
}

/** The proposer's signature of the message's commit (accept, heartbeat, decided; a snapshot's slot), when it carries one. */
function commitProofToPb (signature: Uint8Array | undefined, pb: PaxosMessage): void {
  if (signature != null) pb.commitProof = signature as Uint8Array<ArrayBuffer>
}

function commitProofFromPb (pb: PaxosMessage): { commitProof?: Uint8Array } {
  return pb.commitProof.byteLength > 0 ? { commitProof: pb.commitProof } : {}
}

function chainAtToPb (cm: ChainMessage, pb: PaxosMessage): void {
  if (cm.held != null) pb.heldHeight = cm.held
  if (cm.chainAt == null) return
  pb.pointSlot = cm.chainAt.slot
  pb.height = cm.chainAt.height
  pb.hash = cm.chainAt.hash as Uint8Array<ArrayBuffer>
}

/** Decode limits for a frame: every repeated field is bounded. */
export function frameLimits (maxMessages: number, maxEntries: number, maxEpochs: number, maxMembers: number, maxReadmitted: number): Record<string, unknown> {
  const value = { members: maxMembers }
  return {
    hello: { sharedBooth: maxMembers, readmitted: maxReadmitted, heldBack: maxReadmitted, clones: maxReadmitted, recorded: maxMembers },
    messages: maxMessages,
    messages$: {
      booth: maxMembers,
      value,
      entries: maxEntries,
      entries$: { booth: maxMembers, value },
      booths: maxEpochs,
      booths$: { members: maxMembers }
    }
  }
}
