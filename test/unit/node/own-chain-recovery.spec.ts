import { describe, it, expect } from 'vitest'
import { fetchPlan, recoverOwnChain } from '../../../src/node/own-chain-recovery.ts'
import { InvalidBlockError } from '../../../src/chain/index.ts'

const hash = new Uint8Array(32).fill(1)

describe('node - own chain recovery', () => {
  it('asks the holders in order, the member that answered the snapshot last, each once, and stops at the first that hands the chain over', async () => {
    const asked: string[] = []
    const from = await recoverOwnChain({
      chainId: 'V',
      height: 40,
      hash,
      hint: 'M',
      holders: async () => ['B1', 'B2', 'B3'],
      fetch: async (peer, vouch) => {
        asked.push(peer)
        expect(vouch).toEqual({ height: 40, hash })
        if (peer === 'B1') throw new Error('gone')
      }
    })
    expect(from).toBe('B2')
    expect(asked).toEqual(['B1', 'B2'])
    // the member is asked once, in its place among the holders, or last
    const order: string[] = []
    const fail = async (peer: string): Promise<void> => { order.push(peer); throw new Error('no') }
    await recoverOwnChain({ chainId: 'V', height: 40, hash, hint: 'M', holders: async () => ['B1', 'M', 'B2'], fetch: fail }).catch(() => {})
    await recoverOwnChain({ chainId: 'V', height: 40, hash, hint: 'M', holders: async () => ['B1'], fetch: fail }).catch(() => {})
    expect(order).toEqual(['B1', 'M', 'B2', 'B1', 'M'])
  })

  it('fails with ChainRecoveryError naming every vehicle tried and why', async () => {
    const attempt = recoverOwnChain({
      chainId: 'V',
      height: 40,
      hash,
      hint: 'M',
      holders: async () => ['B1'],
      fetch: async (peer) => { throw Object.assign(new Error(`${peer} holds up to 12`), { name: 'InvalidBlockError' }) }
    })
    await expect(attempt).rejects.toMatchObject({ name: 'ChainRecoveryError', message: 'no vehicle handed over V up to height 40 (tried B1: InvalidBlockError: B1 holds up to 12; M: InvalidBlockError: M holds up to 12)' })
  })

  it('a holder whose block after our tip does not follow it holds another chain: OwnChainConflictError, however many others were away', async () => {
    const brokenLink = (height: number): InvalidBlockError => new InvalidBlockError('WrongPrevHash', `Invalid block: WrongPrevHash: block ${height} does not point to the tip's hash`, height)
    const fetch = async (peer: string): Promise<void> => { throw peer === 'B2' ? brokenLink(4) : new Error('gone') }
    await expect(recoverOwnChain({ chainId: 'V', height: 40, hash, holders: async () => ['B1', 'B2'], fetch, tipHeight: 3 }))
      .rejects.toMatchObject({ name: 'OwnChainConflictError', message: expect.stringMatching(/^V's chain went another way .*their block 4 does not follow its block 3 \(B2\)/) })
    // a broken link further on is a bad holder, not another chain; nor is one when we hold nothing
    const further = async (): Promise<void> => { throw brokenLink(9) }
    await expect(recoverOwnChain({ chainId: 'V', height: 40, hash, holders: async () => ['B1'], fetch: further, tipHeight: 3 })).rejects.toMatchObject({ name: 'ChainRecoveryError' })
    await expect(recoverOwnChain({ chainId: 'V', height: 40, hash, holders: async () => ['B1'], fetch: async () => { throw brokenLink(1) }, tipHeight: 0 })).rejects.toMatchObject({ name: 'ChainRecoveryError' })
  })

  it('the member that named the point proves no conflict unless our tables name it: blocks carry no signature, any member can make up a chain of our id', async () => {
    const brokenLink = new InvalidBlockError('WrongPrevHash', 'Invalid block: WrongPrevHash: block 4 does not point to the tip\'s hash', 4)
    const fetch = async (peer: string): Promise<void> => { throw peer === 'M' ? brokenLink : new Error('gone') }
    await expect(recoverOwnChain({ chainId: 'V', height: 40, hash, hint: 'M', holders: async () => ['B1'], fetch, tipHeight: 3 }))
      .rejects.toMatchObject({ name: 'ChainRecoveryError', message: expect.stringMatching(/M: InvalidBlockError/) })
    await expect(recoverOwnChain({ chainId: 'V', height: 40, hash, hint: 'M', holders: async () => [], fetch, tipHeight: 3 }))
      .rejects.toMatchObject({ name: 'ChainRecoveryError' })
    // one of our backups that holds another chain does tell
    await expect(recoverOwnChain({ chainId: 'V', height: 40, hash, hint: 'M', holders: async () => ['M'], fetch, tipHeight: 3 }))
      .rejects.toMatchObject({ name: 'OwnChainConflictError' })
  })
  it('a holder our tables do not name (it only answered a tip request for our chain) proves no conflict either', async () => {
    const brokenLink = new InvalidBlockError('WrongPrevHash', 'Invalid block: WrongPrevHash: block 4 does not point to the tip\'s hash', 4)
    const fetch = async (peer: string): Promise<void> => { throw peer === 'A' ? brokenLink : new Error('gone') }
    await expect(recoverOwnChain({ chainId: 'V', height: 40, hash, holders: async () => ['A', 'B1'], named: async () => ['B1'], fetch, tipHeight: 3 }))
      .rejects.toMatchObject({ name: 'ChainRecoveryError' })
    await expect(recoverOwnChain({ chainId: 'V', height: 40, hash, holders: async () => ['A', 'B1'], named: async () => ['A', 'B1'], fetch, tipHeight: 3 }))
      .rejects.toMatchObject({ name: 'OwnChainConflictError' })
  })

  it('a point a member named is fetched from the holders our tables name only, never from that member or a mere answerer', async () => {
    const known = { holders: ['A', 'B1', 'M'], named: ['B1'] }
    const asked: string[] = []
    const fetch = async (peer: string): Promise<void> => {
      asked.push(peer)
      // the member (and a member that answered for our chain) would hand over a chain it made up, ending on its point
      if (peer !== 'B1') return
      throw new Error('B1 does not lead to that point')
    }
    await expect(recoverOwnChain({ chainId: 'V', height: 40, hash, ...fetchPlan(known, 'M', true), fetch, tipHeight: 3 })).rejects.toMatchObject({ name: 'ChainRecoveryError' })
    expect(asked).toEqual(['B1'])
    // a snapshot's point (its teacher's): every holder, then the one that answered it
    asked.length = 0
    await recoverOwnChain({ chainId: 'V', height: 40, hash, ...fetchPlan({ holders: ['B1'], named: ['B1'] }, 'M', false), fetch, tipHeight: 3 })
    expect(asked).toEqual(['B1', 'M'])
  })
})
