/**
 * Structural checks of incoming messages and proposals. A message that fails
 * them raises InvalidMessageError before anything changes: the transport
 * decodes untrusted bytes, and the state machine must not trust its shape.
 */
import { validateBooth } from './booth.ts'
import { InvalidBoothError, InvalidMessageError, InvalidProposalError } from './errors.ts'
import type { Ballot, BoothEpoch, Decided, Entry, Message, Proposal, Value } from './types.ts'

/** Bounds repeated fields of one message (promises and catch-up answers). */
export const MAX_ENTRIES_PER_MESSAGE = 65_536
export const MAX_ID_LENGTH = 256
/**
 * Highest ballot round a message may carry: the next campaign goes one
 * above the highest round seen, and must still encode (a uint64 read as a
 * JavaScript number: at most 2^53 − 1). No chain campaigns 2^52 times.
 */
export const MAX_ROUND = 2 ** 52
/**
 * How far above every round it knew a node lets a round a peer reports lift
 * its next campaign's (candidacy.ts noteRound): a made-up round cannot use up the
 * rounds left below MAX_ROUND in one message (2^42 of them, at this step).
 */
export const MAX_ROUND_JUMP = 1024
/** Most bytes of a proposer's signature (ValueProof): an Ed25519 signature has 64. */
export const MAX_PROOF_BYTES = 128

const TYPES = new Set(['prePrepare', 'prePromise', 'prepare', 'promise', 'nack', 'accept', 'accepted', 'heartbeat', 'heartbeatAck', 'catchup', 'decided', 'snapshot'])

function fail (what: string): never {
  throw new InvalidMessageError(`invalid message: ${what}`)
}

function isRecord (x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null
}

function peerId (x: unknown, what: string): string {
  if (typeof x !== 'string' || x.length === 0 || x.length > MAX_ID_LENGTH) {
    fail(what)
  }
  return x
}

function count (x: unknown, what: string, min = 0): number {
  if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min) {
    fail(what)
  }
  return x
}

function ballot (x: unknown, what = 'ballot'): Ballot {
  if (!isRecord(x) || typeof x.proposer !== 'string' || x.proposer.length > MAX_ID_LENGTH) {
    fail(what)
  }
  if (count(x.round, `${what}.round`) > MAX_ROUND) fail(`${what}.round above ${MAX_ROUND}`)
  return x as unknown as Ballot
}

function booth (x: unknown, what: string): string[] {
  try {
    return validateBooth(x, what)
  } catch (err) {
    if (err instanceof InvalidBoothError) {
      fail(err.message)
    }
    throw err
  }
}

function value (x: unknown): Value {
  if (!isRecord(x)) {
    fail('value')
  }
  switch (x.kind) {
    case 'data':
      peerId(x.id, 'value.id')
      if (!(x.data instanceof Uint8Array)) {
        fail('value.data')
      }
      break
    case 'noop':
      break
    case 'booth':
      booth(x.members, 'value.members')
      break
    default:
      fail('value.kind')
  }
  return x as unknown as Value
}

function signature (x: unknown, what: string): void {
  if (!(x instanceof Uint8Array) || x.byteLength === 0 || x.byteLength > MAX_PROOF_BYTES) fail(what)
}

function proof (x: unknown, what: string): void {
  if (x === undefined) return
  if (!isRecord(x)) fail(what)
  if (count(x.round, `${what}.round`, 1) > MAX_ROUND) fail(`${what}.round above ${MAX_ROUND}`)
  signature(x.signature, `${what}.signature`)
}

function commitProof (x: unknown): void {
  if (x === undefined) return
  if (!isRecord(x)) fail('commitProof')
  count(x.commit, 'commitProof.commit', 1)
  signature(x.signature, 'commitProof.signature')
}

function list (x: unknown, what: string): unknown[] {
  if (!Array.isArray(x) || x.length > MAX_ENTRIES_PER_MESSAGE) {
    fail(what)
  }
  return x
}

function entry (x: unknown): Entry {
  if (!isRecord(x) || typeof x.decided !== 'boolean') {
    fail('entry')
  }
  count(x.slot, 'entry.slot', 1)
  ballot(x.ballot, 'entry.ballot')
  value(x.value)
  booth(x.booth, 'entry.booth')
  proof(x.proof, 'entry.proof')
  return x as unknown as Entry
}

function decided (x: unknown): Decided {
  if (!isRecord(x)) {
    fail('decided entry')
  }
  count(x.slot, 'decided.slot', 1)
  value(x.value)
  booth(x.booth, 'decided.booth')
  proof(x.proof, 'decided.proof')
  return x as unknown as Decided
}

function epochs (x: unknown): BoothEpoch[] {
  const out = list(x, 'booths')
  if (out.length === 0) {
    fail('booths')
  }
  for (const e of out) {
    if (!isRecord(e)) {
      fail('booths')
    }
    count(e.slot, 'booths.slot', 1)
    booth(e.members, 'booths.members')
  }
  return out as BoothEpoch[]
}

/** Checks the shape of a message addressed to `self`; returns it typed. */
export function validateMessage (msg: unknown, self: string): Message {
  if (!isRecord(msg) || typeof msg.type !== 'string' || !TYPES.has(msg.type)) {
    fail('type')
  }
  peerId(msg.from, 'from')
  if (msg.to !== self) {
    fail(`addressed to ${String(msg.to)}, not to ${self}`)
  }
  switch (msg.type) {
    case 'prePrepare':
      ballot(msg.ballot)
      break
    case 'prePromise':
      ballot(msg.ballot)
      ballot(msg.promised, 'promised')
      if (typeof msg.granted !== 'boolean') fail('granted')
      break
    case 'prepare':
      ballot(msg.ballot)
      count(msg.slot, 'slot', 1)
      break
    case 'promise':
      ballot(msg.ballot)
      count(msg.commit, 'commit')
      epochs(msg.booths)
      list(msg.entries, 'entries').forEach(entry)
      commitProof(msg.commitProof)
      break
    case 'nack':
      ballot(msg.ballot)
      ballot(msg.promised, 'promised')
      break
    case 'accept':
      ballot(msg.ballot)
      count(msg.slot, 'slot', 1)
      value(msg.value)
      booth(msg.booth, 'booth')
      count(msg.commit, 'commit')
      if (msg.proof !== undefined) signature(msg.proof, 'proof')
      if (msg.commitProof !== undefined) signature(msg.commitProof, 'commitProof')
      break
    case 'accepted':
      ballot(msg.ballot)
      count(msg.slot, 'slot', 1)
      break
    case 'heartbeat':
      ballot(msg.ballot)
      count(msg.commit, 'commit')
      if (msg.read !== undefined) count(msg.read, 'read')
      if (msg.commitProof !== undefined) signature(msg.commitProof, 'commitProof')
      break
    case 'heartbeatAck':
      ballot(msg.ballot)
      count(msg.read, 'read')
      if (msg.fill !== undefined) count(msg.fill, 'fill', 1)
      break
    case 'catchup':
      count(msg.slot, 'slot', 1)
      break
    case 'decided':
      count(msg.commit, 'commit')
      list(msg.entries, 'entries').forEach(decided)
      if (msg.commitProof !== undefined) signature(msg.commitProof, 'commitProof')
      break
    case 'snapshot':
      count(msg.slot, 'slot', 1)
      epochs(msg.booths)
      if (msg.commitProof !== undefined) signature(msg.commitProof, 'commitProof')
      break
  }
  return msg as unknown as Message
}

/** Checks a client proposal; returns a private copy of its fields. */
export function validateProposal (p: unknown): Proposal {
  if (!isRecord(p)) {
    throw new InvalidProposalError('a proposal is an object { id, data }')
  }
  if (typeof p.id !== 'string' || p.id.length === 0 || p.id.length > MAX_ID_LENGTH) {
    throw new InvalidProposalError(`proposal id must be a string of 1..${MAX_ID_LENGTH} characters`)
  }
  if (!(p.data instanceof Uint8Array)) {
    throw new InvalidProposalError('proposal data must be a Uint8Array')
  }
  return { id: p.id, data: p.data }
}
