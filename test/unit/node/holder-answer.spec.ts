/**
 * What a holder's read answer counts as in a quorum or leader read
 * (src/node/holder-answer.ts), and a quorum read over such answers: an
 * obsolete backup not released yet is no vote, so two of them agreeing on
 * the value the owner replaced are no quorum.
 */
import { describe, it, expect } from 'vitest'
import { encodeBlock } from '../../../src/chain/index.ts'
import { holderAnswer } from '../../../src/node/holder-answer.ts'
import { quorumRead } from '../../../src/node/quorum-read.ts'
import { ReadRequest, readRequest, ReadResponse } from '../../../src/protocols/read/index.ts'
import { chainOf, enc } from '../storage/helpers.ts'

const CHAIN = 'vehicle-a'
const keyRequest: ReadRequest = readRequest({ kind: ReadRequest.Kind.KEY, chainId: CHAIN, key: 'k' })
const blockRequest: ReadRequest = { ...keyRequest, kind: ReadRequest.Kind.BLOCK, key: '', height: 2 }
const { Status, Role } = ReadResponse

describe('node - holder answers', () => {
  const [, b2] = chainOf(CHAIN, 2)

  it('a value, a block by its hash, or absent, at the height the holder read up to', () => {
    const frame = new Uint8Array([9, 1, 2, 3, 9])
    const value = holderAnswer('h', keyRequest, { status: Status.OK, role: Role.HOLDER, value: frame.subarray(1, 4), valueHeight: 4, height: 7 })
    expect(value).toEqual({ peer: 'h', status: 'value', value: Uint8Array.of(1, 2, 3), valueHeight: 4, height: 7 })
    // a copy, not a view that keeps the whole answer frame alive
    expect((value as { value: Uint8Array }).value.buffer).not.toBe(frame.buffer)
    expect(holderAnswer('h', keyRequest, { status: Status.NOT_FOUND, height: 7 })).toEqual({ peer: 'h', status: 'absent', height: 7 })
    expect(holderAnswer('h', blockRequest, { status: Status.OK, blocks: [encodeBlock(b2) as Uint8Array<ArrayBuffer>], height: 5 }))
      .toMatchObject({ status: 'value', value: b2.hash, valueHeight: 2, height: 5, block: { hash: b2.hash } })
  })

  it('no answer: an obsolete backup not released yet, a block that does not check out, a holder that is not the leader, an error', () => {
    for (const status of [Status.OK, Status.NOT_FOUND]) {
      expect(holderAnswer('e', keyRequest, { status, role: Role.STALE, value: enc.encode('old'), valueHeight: 1, height: 3 }))
        .toMatchObject({ status: 'unavailable', error: expect.stringMatching(/obsolete backup/) })
    }
    expect(holderAnswer('h', blockRequest, { status: Status.OK, blocks: [] })).toMatchObject({ status: 'unavailable', error: expect.stringMatching(/invalid block: expected one block/) })
    expect(holderAnswer('h', { ...keyRequest, leader: true }, { status: Status.NOT_LEADER, message: 'follower', leader: 'L' }))
      .toEqual({ peer: 'h', status: 'unavailable', error: 'not the leader: follower', notLeader: true, leader: 'L' })
    expect(holderAnswer('h', { ...keyRequest, leader: true }, { status: Status.NOT_LEADER, leader: '' })).not.toHaveProperty('leader')
    expect(holderAnswer('h', keyRequest, { status: Status.ERROR, message: 'disk' })).toMatchObject({ status: 'unavailable', error: 'ERROR: disk' })
  })

  it('two obsolete backups agreeing on the value the owner replaced are no quorum; the owner and a current backup are', async () => {
    // the owner wrote "new" at 6; E and F, obsolete and not released yet, still hold "old" from 2
    const answers: Record<string, Partial<ReadResponse>> = {
      owner: { status: Status.OK, role: Role.HOLDER, value: enc.encode('new'), valueHeight: 6, height: 6 },
      E: { status: Status.OK, role: Role.STALE, value: enc.encode('old'), valueHeight: 2, height: 4 },
      F: { status: Status.OK, role: Role.STALE, value: enc.encode('old'), valueHeight: 2, height: 4 },
      B: { status: Status.OK, role: Role.HOLDER, value: enc.encode('new'), valueHeight: 6, height: 6 }
    }
    let asks = 0
    const read = async (holders: string[]): Promise<string> => await quorumRead({
      holders, quorum: 2, retryDelay: 1, maxRounds: 1, ask: async (p) => { asks++; return holderAnswer(p, keyRequest, answers[p]) }
    }).then(r => new TextDecoder().decode(r.value), (err: Error) => err.name)
    expect(await read(['owner', 'E', 'F'])).toBe('QuorumReadError')
    // at once: an obsolete backup's answer will not change in the seconds an unreachable holder is waited for
    expect(asks).toBeLessThanOrEqual(3 + 2)
    expect(await read(['owner', 'E', 'F', 'B'])).toBe('new')
  })

  it('a value written above the chain height its holder reports is no vote: what Nr honest holders agree on is returned', async () => {
    // C made up the height: taken for a newer version than A and B had reached, it failed every quorum read (a review)
    const answers: Record<string, Partial<ReadResponse>> = {
      A: { status: Status.OK, role: Role.ACTIVE, value: enc.encode('fix'), valueHeight: 4, height: 5 },
      B: { status: Status.OK, role: Role.ACTIVE, value: enc.encode('fix'), valueHeight: 4, height: 5 },
      C: { status: Status.OK, role: Role.ACTIVE, value: enc.encode('made up'), valueHeight: 1_000_000, height: 5 }
    }
    expect(holderAnswer('C', keyRequest, answers.C)).toMatchObject({ status: 'unavailable', lasting: true, error: 'an answer that contradicts itself: value written at height 1000000 of a chain held up to 5' })
    const result = await quorumRead({ holders: ['C', 'A', 'B'], first: 'C', quorum: 2, retryDelay: 1, maxRounds: 2, ask: async (p) => holderAnswer(p, keyRequest, answers[p]) })
    expect(new TextDecoder().decode(result.value)).toBe('fix')
  })

  it('"no such block" from a holder at or past that height contradicts itself: no vote; below it, the block is not there yet', async () => {
    // one liar's "no block 2" at height 1,000,000 failed quorum block reads (a review)
    expect(holderAnswer('L', blockRequest, { status: Status.NOT_FOUND, role: Role.ACTIVE, height: 1_000_000 }))
      .toMatchObject({ status: 'unavailable', lasting: true, error: 'an answer that contradicts itself: no block 2 in a chain at height 1000000' })
    expect(holderAnswer('L', blockRequest, { status: Status.NOT_FOUND, role: Role.ACTIVE, height: 2 })).toMatchObject({ status: 'unavailable', lasting: true })
    expect(holderAnswer('h', blockRequest, { status: Status.NOT_FOUND, role: Role.ACTIVE, height: 1 })).toEqual({ peer: 'h', status: 'absent', height: 1 })
    const answers: Record<string, Partial<ReadResponse>> = {
      v: { status: Status.OK, role: Role.PROPOSER, blocks: [encodeBlock(b2) as Uint8Array<ArrayBuffer>], height: 2 },
      L: { status: Status.NOT_FOUND, role: Role.ACTIVE, height: 1_000_000 },
      B: { status: Status.OK, role: Role.ACTIVE, blocks: [encodeBlock(b2) as Uint8Array<ArrayBuffer>], height: 2 }
    }
    // the liar among the first two asked
    const result = await quorumRead({ holders: ['v', 'L', 'B'], first: 'v', quorum: 2, retryDelay: 1, maxRounds: 1, random: () => 0.99, ask: async (p) => holderAnswer(p, blockRequest, answers[p]) })
    expect(result.agreed.sort()).toEqual(['B', 'v'])
  })
})
