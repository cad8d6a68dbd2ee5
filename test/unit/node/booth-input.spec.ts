/**
 * An end of booth's input (node.endOfBooth, POST /booth/end): what it
 * becomes when it is well formed, and that anything else is refused whole
 * with InvalidBoothError saying why.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { beforeAll, describe, expect, it } from 'vitest'
import { MAX_BOOTH_SIZE } from '../../../src/chain/index.ts'
import { checkBoothInput, checkParticipants, InvalidBoothError, MAX_PARTICIPANTS } from '../../../src/node/booth-input.ts'
import type { EndOfBoothInput } from '../../../src/node/booth-input.ts'

async function peerId (): Promise<string> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
}

const value = new TextEncoder().encode('fix')

describe('booth input', () => {
  let self: string
  let a: string
  let b: string

  beforeAll(async () => {
    [self, a, b] = await Promise.all([peerId(), peerId(), peerId()])
  })

  const refused = (input: unknown, why: RegExp, allowed?: string[]): void => {
    let error: unknown
    try {
      checkBoothInput(input as EndOfBoothInput, self, allowed)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(InvalidBoothError)
    expect((error as Error).message).toMatch(why)
  }

  it('takes the participants once each, without this proposer, and the transactions as puts and deletes', () => {
    const out = checkBoothInput({
      participants: [a, self, b, a],
      transactions: [{ key: 'k1', value }, { key: 'k2' }, { key: 'k3', delete: true }, { key: 'k4', value, delete: false }]
    }, self)
    expect(out.participants.sort()).toEqual([a, b].sort())
    expect(out.transactions).toEqual([
      { op: 'PUT', key: 'k1', value },
      { op: 'PUT', key: 'k2', value: new Uint8Array(0) },
      { op: 'DELETE', key: 'k3' },
      { op: 'PUT', key: 'k4', value }
    ])
  })

  it('takes a participant in any form of a peer id as its usual form: this proposer as a CID is still this proposer, a peer named twice is one', () => {
    const cid = (id: string): string => peerIdFromString(id).toCID().toString()
    expect(cid(a)).not.toBe(a)
    refused({ participants: [cid(self)], transactions: [{ key: 'k' }] }, /at least one vehicle other than this one/)
    expect(checkParticipants([cid(a), a, cid(self), b], self).sort()).toEqual([a, b].sort())
  })

  it('refuses what is not an object, and unknown fields (a typo would else be dropped and a default taken)', () => {
    refused(null, /an object/)
    refused('booth', /an object/)
    refused({ participants: [a], transactions: [{ key: 'k', value }], timout: 5 }, /unknown field "timout"/)
  })

  it('refuses participants that are missing, not peer ids, this proposer alone, or too many', () => {
    refused({ participants: [], transactions: [{ key: 'k' }] }, /non-empty list/)
    refused({ participants: 'x', transactions: [{ key: 'k' }] }, /non-empty list/)
    refused({ participants: [42], transactions: [{ key: 'k' }] }, /peer ids are strings/)
    refused({ participants: ['not-a-peer-id'], transactions: [{ key: 'k' }] }, /not a peer id: not-a-peer-id/)
    refused({ participants: [self], transactions: [{ key: 'k' }] }, /at least one vehicle other than this one/)
    refused({ participants: Array.from({ length: MAX_PARTICIPANTS + 1 }, () => a), transactions: [{ key: 'k' }] }, new RegExp(`at most ${MAX_PARTICIPANTS}`))
  })

  it('refuses a booth bigger than a block header holds, this proposer included', async () => {
    const many = await Promise.all(Array.from({ length: MAX_BOOTH_SIZE }, async () => await peerId()))
    expect(() => checkParticipants(many, self)).toThrow(new RegExp(`at most ${MAX_BOOTH_SIZE} vehicles`))
    expect(checkParticipants(many.slice(1), self)).toHaveLength(MAX_BOOTH_SIZE - 1)
  })

  it('refuses participants a permissioned network does not admit', () => {
    refused({ participants: [a, b], transactions: [{ key: 'k' }] }, new RegExp(`not allowed in this network \\(allowedPeers\\): ${b}`), [self, a])
    expect(checkBoothInput({ participants: [a], transactions: [{ key: 'k' }] }, self, [self, a]).participants).toEqual([a])
  })

  it('refuses transactions that are missing or of another shape', () => {
    refused({ participants: [a] }, /at least one transaction/)
    refused({ participants: [a], transactions: [] }, /at least one transaction/)
    refused({ participants: [a], transactions: [null] }, /transaction 0: must be an object/)
    refused({ participants: [a], transactions: [{ key: 'k', value }, { op: 'DELETE', key: 'k' }] }, /transaction 1: unknown field "op"/)
    refused({ participants: [a], transactions: [{ key: 'k', delete: 'yes' }] }, /transaction 0: delete is true or false/)
    refused({ participants: [a], transactions: [{ key: 'k', value, delete: true }] }, /transaction 0: a delete carries no value/)
  })
})
