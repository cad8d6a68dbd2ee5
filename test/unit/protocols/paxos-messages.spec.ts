import { describe, it, expect } from 'vitest'
import { toWire, fromWire, PaxosFrame, PaxosMessage } from '../../../src/protocols/paxos/index.ts'
import type { Message } from '../../../src/consensus/index.ts'
import { encodeWireMessage, frameBytes, lengthPrefixed } from '../../../src/protocols/paxos/frame.ts'
import { frameLimits } from '../../../src/protocols/paxos/messages.ts'
import { MAX_ENTRIES_PER_MESSAGE, MAX_EPOCHS_PER_MESSAGE, MAX_MEMBERS, MAX_MESSAGES_PER_FRAME, MAX_READMITTED } from '../../../src/protocols/paxos/constants.ts'
import { LengthPrefixedDecoder } from '@libp2p/utils'
import { Uint8ArrayList } from 'uint8arraylist'

const enc = new TextEncoder()
const b = (round: number, proposer = 'A'): { round: number, proposer: string } => ({ round, proposer })
const base = { from: 'A', to: 'B' }

const MESSAGES: Message[] = [
  { ...base, type: 'prepare', ballot: b(3), slot: 7 },
  { ...base, type: 'promise', ballot: b(3), commit: 4, booths: [{ slot: 1, members: ['A', 'B', 'C'] }], entries: [{ slot: 5, ballot: b(2), value: { kind: 'data', id: 'p', data: enc.encode('x') }, booth: ['A', 'B', 'C'], decided: false }, { slot: 6, ballot: b(0, ''), value: { kind: 'booth', members: ['A', 'D'] }, booth: ['A', 'B', 'C'], decided: true }] },
  { ...base, type: 'nack', ballot: b(3), promised: b(4, 'C') },
  { ...base, type: 'accept', ballot: b(3), slot: 8, value: { kind: 'noop' }, booth: ['A', 'B'], commit: 7 },
  { ...base, type: 'accepted', ballot: b(3), slot: 8 },
  { ...base, type: 'heartbeat', ballot: b(3), commit: 9 },
  { ...base, type: 'catchup', slot: 2 },
  { ...base, type: 'decided', commit: 3, entries: [{ slot: 2, value: { kind: 'data', id: 'q', data: new Uint8Array(0) }, booth: ['A'] }, { slot: 3, value: { kind: 'noop' }, booth: ['A'] }] },
  { ...base, type: 'snapshot', slot: 64, booths: [{ slot: 1, members: ['A'] }] },
  { ...base, type: 'heartbeat', ballot: b(3), commit: 9, read: 12 },
  { ...base, type: 'heartbeatAck', ballot: b(3, 'B'), read: 12 },
  // a deposed leader asks the leader to decide up to its orphans' slots
  { ...base, type: 'heartbeatAck', ballot: b(3, 'B'), read: 0, fill: 9 },
  { ...base, type: 'prePrepare', ballot: b(5) },
  // a Bully takeover (docs/consensus.md, "Takeover"); false travels as absent
  { ...base, type: 'prePrepare', ballot: b(5), takeover: true },
  { ...base, type: 'prepare', ballot: b(5), slot: 3, takeover: true },
  { ...base, type: 'prePromise', ballot: b(5), granted: true, promised: b(3) },
  { ...base, type: 'prePromise', ballot: b(5), granted: false, promised: b(6, 'C') },
  // a vehicle's own chain: its signatures of what it proposed travel with the values (value-proofs.ts)
  { ...base, type: 'accept', ballot: b(3), slot: 9, value: { kind: 'data', id: 'r', data: enc.encode('y') }, booth: ['A', 'B'], commit: 8, proof: new Uint8Array(64).fill(1) },
  { ...base, type: 'promise', ballot: b(4), commit: 4, booths: [{ slot: 1, members: ['A', 'B'] }], entries: [{ slot: 5, ballot: b(3), value: { kind: 'noop' }, booth: ['A', 'B'], decided: false, proof: { round: 3, signature: new Uint8Array(64).fill(2) } }, { slot: 6, ballot: b(0, ''), value: { kind: 'noop' }, booth: ['A', 'B'], decided: true, proof: { round: 2, signature: new Uint8Array(64).fill(3) } }] },
  { ...base, type: 'decided', commit: 3, entries: [{ slot: 3, value: { kind: 'noop' }, booth: ['A'], proof: { round: 1, signature: new Uint8Array(64).fill(4) } }], commitProof: new Uint8Array(64).fill(5) },
  // and its signatures of the commits it announces, which its members show back in their promises
  { ...base, type: 'accept', ballot: b(3), slot: 10, value: { kind: 'noop' }, booth: ['A', 'B'], commit: 9, proof: new Uint8Array(64).fill(6), commitProof: new Uint8Array(64).fill(7) },
  { ...base, type: 'heartbeat', ballot: b(3), commit: 10, commitProof: new Uint8Array(64).fill(8) },
  { ...base, type: 'promise', ballot: b(4), commit: 4, booths: [{ slot: 1, members: ['A', 'B'] }], entries: [], commitProof: { commit: 10, signature: new Uint8Array(64).fill(9) } },
  { ...base, type: 'snapshot', slot: 64, booths: [{ slot: 1, members: ['A'] }], commitProof: new Uint8Array(64).fill(10) }
]

describe('protocols - paxos - messages', () => {
  it.each(MESSAGES.map(m => [m.type, m] as const))('%s survives the wire (sender and addressee from the stream, not the bytes)', (_type, m) => {
    const bytes = PaxosFrame.encode({ messages: [toWire({ chainId: 'chain-A', message: m })] })
    const frame = PaxosFrame.decode(bytes)
    const back = fromWire(frame.messages[0], 'A', 'B')
    expect(back.chainId).toBe('chain-A')
    expect(back.message).toEqual(m)
  })

  it('carries a snapshot\'s chain point', () => {
    const point = { height: 40, hash: new Uint8Array(32).fill(7) }
    const pb = PaxosMessage.decode(PaxosMessage.encode(toWire({ chainId: 'c', message: MESSAGES[8], point })))
    expect(fromWire(pb, 'A', 'B').point).toEqual(point)
  })

  it.each([[MESSAGES[3]], [MESSAGES[5]]])('carries where a vehicle\'s chain stood with its %# accept or heartbeat', (message) => {
    const chainAt = { slot: 6, height: 4, hash: new Uint8Array(32).fill(9) }
    const back = fromWire(PaxosMessage.decode(PaxosMessage.encode(toWire({ chainId: 'c', message, chainAt }))), 'A', 'B')
    expect(back.chainAt).toEqual(chainAt)
    expect(back.message).toEqual(message)
  })

  it.each([[MESSAGES[3]], [MESSAGES[5]]])('carries how far a vehicle\'s backups hold its chain with its %# accept or heartbeat, 0 included; none when it has no table', (message) => {
    const roundTrip = (held?: number): number | undefined =>
      fromWire(PaxosMessage.decode(PaxosMessage.encode(toWire({ chainId: 'c', message, ...(held != null ? { held } : {}) }))), 'A', 'B').held
    expect(roundTrip(5)).toBe(5)
    // no backup ever took the chain: its members keep everything
    expect(roundTrip(0)).toBe(0)
    expect(roundTrip()).toBeUndefined()
    // other messages carry none
    expect(fromWire(PaxosMessage.decode(PaxosMessage.encode({ ...toWire({ chainId: 'c', message: MESSAGES[8] }), heldHeight: 3 })), 'A', 'B').held).toBeUndefined()
  })

  it('carries the chain point a member compacted at with its promise, not past the commit it states', () => {
    const promise = MESSAGES.find(m => m.type === 'promise') as Message
    const chainAt = { slot: 4, height: 3, hash: new Uint8Array(32).fill(7) }
    const back = fromWire(PaxosMessage.decode(PaxosMessage.encode(toWire({ chainId: 'c', message: promise, chainAt }))), 'A', 'B')
    expect(back.chainAt).toEqual(chainAt)
    expect(back.message).toEqual(promise)
    expect(fromWire(toWire({ chainId: 'c', message: promise, chainAt: { ...chainAt, slot: 5 } }), 'A', 'B').chainAt).toBeUndefined()
  })

  it('takes no chain point at a height past 2^53 (not the number sent): the message still counts', () => {
    const promise = MESSAGES.find(m => m.type === 'promise') as Message
    const far = 2 ** 56
    // as decoded from a uint64 past 2^53 (protons cannot encode one from a number)
    const back = fromWire({ ...toWire({ chainId: 'c', message: promise, chainAt: { slot: 4, height: 3, hash: new Uint8Array(32).fill(7) } }), height: far }, 'A', 'B')
    expect(back.chainAt).toBeUndefined()
    expect(back.message).toEqual(promise)
    const snapshot = fromWire({ ...toWire({ chainId: 'c', message: MESSAGES[8], point: { height: 3, hash: new Uint8Array(32).fill(7) } }), height: far }, 'A', 'B')
    expect(snapshot.point).toBeUndefined()
  })

  it('carries the chain point a member knows below the slot it asks from with its catch-up, none at or past it', () => {
    const catchup: Message = { type: 'catchup', from: 'A', to: 'B', slot: 5 }
    const chainAt = { slot: 4, height: 3, hash: new Uint8Array(32).fill(7) }
    const back = fromWire(PaxosMessage.decode(PaxosMessage.encode(toWire({ chainId: 'c', message: catchup, chainAt }))), 'A', 'B')
    expect(back.chainAt).toEqual(chainAt)
    expect(back.message).toEqual(catchup)
    expect(fromWire(toWire({ chainId: 'c', message: catchup, chainAt: { ...chainAt, slot: 5 } }), 'A', 'B').chainAt).toBeUndefined()
    expect(fromWire(toWire({ chainId: 'c', message: catchup }), 'A', 'B').chainAt).toBeUndefined()
  })

  it('drops a chain point past the commit its message states (no proposer applied it), and keeps the message', () => {
    const pb = toWire({ chainId: 'c', message: MESSAGES[5], chainAt: { slot: 10, height: 4, hash: new Uint8Array(32) } })
    const back = fromWire(pb, 'A', 'B')
    expect(back.chainAt).toBeUndefined()
    expect(back.message).toEqual(MESSAGES[5])
    expect(fromWire({ ...pb, pointSlot: 9, hash: new Uint8Array(31) }, 'A', 'B').chainAt).toBeUndefined()
  })

  const valid = (): PaxosMessage => toWire({ chainId: 'c', message: MESSAGES[3] })
  it.each([
    ['an unknown type', (m: PaxosMessage) => { m.type = 42 as unknown as PaxosMessage.Type }],
    ['no chain id', (m: PaxosMessage) => { m.chainId = '' }],
    ['a missing ballot', (m: PaxosMessage) => { m.ballot = undefined }],
    ['a missing value', (m: PaxosMessage) => { m.value = undefined }],
    ['slot 0', (m: PaxosMessage) => { m.slot = 0 }],
    ['an empty booth', (m: PaxosMessage) => { m.booth = [] }],
    ['a booth listing a member twice', (m: PaxosMessage) => { m.booth = ['A', 'A'] }],
    ['a data value without id', (m: PaxosMessage) => { m.value = { kind: PaxosMessage.Type.PREPARE as never, id: '', data: new Uint8Array(1), members: [] } }],
    ['a proof longer than any signature', (m: PaxosMessage) => { m.proof = new Uint8Array(129) }],
    ['a commit proof longer than any signature', (m: PaxosMessage) => { m.commitProof = new Uint8Array(129) }]
  ])('refuses %s with InvalidMessageError', (_what, mutate) => {
    const m = valid()
    mutate(m)
    expect(() => fromWire(m, 'A', 'B')).toThrow(expect.objectContaining({ name: 'InvalidMessageError' }))
  })

  it('takes a heartbeatAck that acknowledges no read: the member only says it follows the leader (check-quorum)', () => {
    const m = toWire({ chainId: 'c', message: MESSAGES[10] })
    m.read = 0
    expect(fromWire(m, 'A', 'B').message).toMatchObject({ type: 'heartbeatAck', read: 0 })
  })

  it('bounds repeated fields when decoding a frame', () => {
    const many = PaxosFrame.encode({ messages: [toWire({ chainId: 'c', message: { ...base, type: 'promise', ballot: b(1), commit: 0, booths: [{ slot: 1, members: Array.from({ length: 65 }, (_, i) => `m${i}`) }], entries: [] } })] })
    expect(() => PaxosFrame.decode(many, { limits: { messages: 10, messages$: { booths$: { members: 64 } } } })).toThrow()
  })

  it('bounds a hello\'s readmitted, heldBack and clones lists with the transport\'s limits (more: the frame is malformed)', () => {
    const limits = frameLimits(MAX_MESSAGES_PER_FRAME, MAX_ENTRIES_PER_MESSAGE, MAX_EPOCHS_PER_MESSAGE, MAX_MEMBERS, MAX_READMITTED)
    const empty = { priority: 0, sharedGenesis: '', sharedBooth: [], sharedHeld: false, askBack: false, incarnation: new Uint8Array(0), readmitted: [], heldBack: [], sharedFounding: new Uint8Array(0), instance: new Uint8Array(0), clones: [], recorded: [], sharedRefused: false }
    const entries = (n: number): Array<{ peer: string, incarnation: Uint8Array<ArrayBuffer>, slot: number }> => Array.from({ length: n }, (_, i) => ({ peer: `p${i}`, incarnation: new Uint8Array(16), slot: i }))
    const hello = (n: number, list: 'readmitted' | 'heldBack'): Uint8Array => PaxosFrame.encode({ hello: { ...empty, [list]: entries(n) }, messages: [] })
    for (const list of ['readmitted', 'heldBack'] as const) {
      expect(PaxosFrame.decode(hello(MAX_READMITTED, list), { limits }).hello?.[list]).toHaveLength(MAX_READMITTED)
      expect(() => PaxosFrame.decode(hello(MAX_READMITTED + 1, list), { limits }), list).toThrow()
    }
    // the peers a sender holds as clones, alike
    const clones = (n: number): Uint8Array => PaxosFrame.encode({ hello: { ...empty, clones: Array.from({ length: n }, (_, i) => `p${i}`) }, messages: [] })
    expect(PaxosFrame.decode(clones(MAX_READMITTED), { limits }).hello?.clones).toHaveLength(MAX_READMITTED)
    expect(() => PaxosFrame.decode(clones(MAX_READMITTED + 1), { limits })).toThrow()
  })

  it('assembles frames from messages encoded once: the bytes PaxosFrame.encode gives', () => {
    const big = { ...base, type: 'accept', ballot: b(3), slot: 9, value: { kind: 'data', id: 'big', data: new Uint8Array(300_000).fill(5) }, booth: ['A', 'B', 'C'], commit: 8 } satisfies Message
    const cms = [...MESSAGES, big].map(message => ({ chainId: 'chain-A', message }))
    const hellos = [undefined, { priority: 0, sharedGenesis: '', sharedBooth: [], sharedHeld: false, askBack: false, incarnation: new Uint8Array(0), readmitted: [], heldBack: [], sharedFounding: new Uint8Array(0), instance: new Uint8Array(0), clones: [], recorded: [], sharedRefused: false }, { priority: -3, sharedGenesis: 'F', sharedBooth: ['A', 'B'], sharedHeld: true, askBack: true, incarnation: Uint8Array.of(1, 2, 3), readmitted: [{ peer: 'A', incarnation: Uint8Array.of(4), slot: 7 }], heldBack: [{ peer: 'B', incarnation: Uint8Array.of(5) }], sharedFounding: Uint8Array.of(6), instance: Uint8Array.of(7), clones: ['C'], recorded: [{ peer: 'D', incarnation: Uint8Array.of(8) }], sharedRefused: true }]
    for (const hello of hellos) {
      for (const some of [[], cms.slice(0, 1), cms]) {
        const expected = PaxosFrame.encode({ hello, messages: some.map(cm => toWire(cm)) })
        expect(frameBytes(some.map(encodeWireMessage), hello).subarray()).toEqual(expected)
      }
    }
    // one encoding serves every peer's frame: the value is not copied into each
    const wire = encodeWireMessage(cms[cms.length - 1])
    const frame = frameBytes([wire])
    expect([...frame].some(chunk => chunk === wire)).toBe(true)
    expect(fromWire(PaxosFrame.decode(frame.subarray()).messages[0], 'A', 'B').message).toEqual(big)
  })

  it('sends a frame with its length prefix: a small one as one buffer, a big one as slices', () => {
    const small = frameBytes([encodeWireMessage({ chainId: 'c', message: MESSAGES[4] })], { priority: 1, sharedGenesis: '', sharedBooth: [], sharedHeld: false, askBack: false, incarnation: new Uint8Array(0), readmitted: [], heldBack: [], sharedFounding: new Uint8Array(0), instance: new Uint8Array(0), clones: [], recorded: [], sharedRefused: false })
    const big = frameBytes([encodeWireMessage({ chainId: 'c', message: { ...base, type: 'accept', ballot: b(1), slot: 1, value: { kind: 'data', id: 'x', data: new Uint8Array(200_000) }, booth: ['A', 'B'], commit: 0 } })])
    const expected = [small.subarray(), big.subarray()]
    const out = [lengthPrefixed(small), lengthPrefixed(big)]
    expect(out[0]).toBeInstanceOf(Uint8Array)
    expect(out[1]).toBeInstanceOf(Uint8ArrayList)
    // what the receiving lpStream reads back
    const decoder = new LengthPrefixedDecoder({ maxDataLength: 1 << 24, maxBufferSize: 1 << 25 })
    const frames = [...decoder.decode(out[0]), ...decoder.decode(out[1])].map(f => f.subarray())
    expect(frames).toEqual(expected)
  })
})
