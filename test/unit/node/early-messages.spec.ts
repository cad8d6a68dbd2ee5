/**
 * Messages held for a chain whose replica is still opening: bounded by count
 * and by the bytes of the values they carry (counted by messages alone, 1,024
 * accepts of 4 MiB each could be held for one chain: a review).
 */
import { describe, it, expect } from 'vitest'
import { EARLY_BYTES, EARLY_MESSAGES, EarlyMessages, carriedBytes } from '../../../src/node/early-messages.ts'
import type { ChainMessage } from '../../../src/protocols/paxos/index.ts'

const MiB = 1024 * 1024
const ballot = { round: 1, proposer: 'v' }

function accept (slot: number, bytes: number): ChainMessage {
  return { chainId: 'v', message: { type: 'accept', from: 'v', to: 'm', ballot, slot, value: { kind: 'data', id: `w${slot}`, data: new Uint8Array(bytes) }, booth: ['v', 'm'], commit: 0 } }
}

describe('node - messages for a chain still opening', () => {
  it('counts the values a message carries', () => {
    expect(carriedBytes(accept(1, 300).message)).toBe(300)
    expect(carriedBytes({ type: 'heartbeat', from: 'v', to: 'm', ballot, commit: 0 })).toBe(0)
    expect(carriedBytes({ type: 'decided', from: 'v', to: 'm', commit: 2, entries: [1, 2].map(slot => ({ slot, value: { kind: 'data' as const, id: `w${slot}`, data: new Uint8Array(10) }, booth: ['v'] })) })).toBe(20)
  })

  it('holds up to EARLY_BYTES of values per chain, and one message at least, in the order they came', () => {
    const early = new EarlyMessages()
    const per = 4 * MiB
    const fit = EARLY_BYTES / per
    for (let slot = 1; slot <= fit; slot++) expect(early.hold('v', accept(slot, per))).toBe(true)
    expect(early.hold('v', accept(fit + 1, per))).toBe(false)
    // a message without values still fits, and other chains have their own share
    expect(early.hold('v', { chainId: 'v', message: { type: 'heartbeat', from: 'v', to: 'm', ballot, commit: 0 } })).toBe(true)
    expect(early.hold('w', accept(1, EARLY_BYTES + 1))).toBe(true)
    expect(early.take('v').map(cm => cm.message.type === 'accept' ? cm.message.slot : 0)).toEqual([...Array.from({ length: fit }, (_, i) => i + 1), 0])
    expect(early.take('v')).toEqual([])
  })

  it('holds at most EARLY_MESSAGES per chain', () => {
    const early = new EarlyMessages()
    for (let slot = 1; slot <= EARLY_MESSAGES; slot++) expect(early.hold('v', accept(slot, 1))).toBe(true)
    expect(early.hold('v', accept(EARLY_MESSAGES + 1, 1))).toBe(false)
    expect(early.take('v')).toHaveLength(EARLY_MESSAGES)
  })
})
