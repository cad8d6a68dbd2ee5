/**
 * One budget for what a node holds undecided as a booth member of other
 * vehicles' chains (UndecidedBudget): each chain is bounded on its own, and
 * all of them together, past which each still gets its floor. Member
 * replicas on a real LevelDB share it, as the driver's do.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { prefixLogger } from '@libp2p/logger'
import { openDatabase } from '../../../src/storage/database.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { LevelPaxosStore } from '../../../src/storage/paxos-store.ts'
import { MemoryChainStore } from '../../../src/storage/index.ts'
import { ChainReplica } from '../../../src/node/paxos-replica.ts'
import { UndecidedBudget } from '../../../src/node/undecided-budget.ts'
import type { Message } from '../../../src/consensus/index.ts'
import { waitFor } from '../../utils/wait.ts'

const SELF = 'm'

describe('node - the budget for undecided values of member chains', () => {
  it('a chain gets up to its own bound while the total stays within the budget, and its floor past it', () => {
    const b = new UndecidedBudget(3000, 1000, 2500)
    expect(b.limitFor('v1')).toBe(2500)
    b.note('v1', 2500)
    // 500 left: v2 still gets its floor
    expect(b.limitFor('v2')).toBe(1000)
    b.note('v2', 1000)
    expect(b.bytes).toBe(3500)
    // what a chain holds counts as its own: v1 keeps what it has (and no more)
    expect(b.limitFor('v1')).toBe(2500)
    b.note('v1', 400)
    expect(b.limitFor('v2')).toBe(Math.min(2500, 1000 + 3000 - 1400))
    b.forget('v1')
    b.forget('v2')
    expect(b.bytes).toBe(0)
    expect(b.limitFor('v3')).toBe(2500)
  })

  describe('member replicas sharing it', () => {
    let dir: string | undefined
    let db: NodeDatabase | undefined
    const replicas: ChainReplica[] = []
    afterEach(async () => {
      for (const r of replicas.splice(0)) await r.close()
      await db?.close()
      if (dir != null) await rm(dir, { recursive: true, force: true })
      db = dir = undefined
    })

    async function member (chainId: string, budget: UndecidedBudget, votes: Message[]): Promise<ChainReplica> {
      dir ??= await mkdtemp(join(tmpdir(), 'vguard-undecided-'))
      db ??= await openDatabase(dir)
      const replica = await ChainReplica.open({
        chainId,
        self: SELF,
        kind: 'member',
        storage: new LevelPaxosStore(db).storage(chainId),
        store: new MemoryChainStore(),
        send: (messages) => { for (const { message } of messages) votes.push(message as Message) },
        connected: () => [chainId],
        boothSize: 2,
        log: prefixLogger(SELF).forComponent(chainId),
        random: () => 0.5,
        now: () => Date.now(),
        undecided: budget
      }, { genesis: [chainId, SELF], election: { mode: 'fixed', proposer: chainId } })
      replicas.push(replica)
      return replica
    }

    /** `count` accepts of 500-byte values its vehicle never decides; resolves to the slots voted for. */
    async function acceptsFrom (replica: ChainReplica, chainId: string, from: number, count: number, votes: Message[]): Promise<number[]> {
      const before = votes.length
      for (let slot = from; slot < from + count; slot++) {
        replica.step({ type: 'accept', from: chainId, to: SELF, ballot: { round: 1, proposer: chainId }, slot, value: { kind: 'data', id: `${chainId}/${slot}`, data: new Uint8Array(500) }, booth: [chainId, SELF], commit: 0 })
        await replica.whenIdle()
      }
      return votes.slice(before).filter(m => m.type === 'accepted').map(m => m.type === 'accepted' ? m.slot : 0)
    }

    it('a vehicle that never decides what it sends fills its own bound only; another still gets its floor, and more once the first is gone', async () => {
      const budget = new UndecidedBudget(3000, 1000, 2500)
      const votes1: Message[] = []
      const votes2: Message[] = []
      const v1 = await member('v1', budget, votes1)
      const v2 = await member('v2', budget, votes2)
      expect(await acceptsFrom(v1, 'v1', 1, 8, votes1)).toEqual([1, 2, 3, 4, 5])
      expect(v1.status()).toMatchObject({ undecidedBytes: 2500, votesWithheld: 3 })
      expect(budget.bytes).toBe(2500)
      // 500 bytes left of the budget: v2 gets its floor, two values
      expect(await acceptsFrom(v2, 'v2', 1, 4, votes2)).toEqual([1, 2])
      expect(v2.status()).toMatchObject({ undecidedBytes: 1000, votesWithheld: 2 })
      // v1's replica leaves memory (retired): v2 may go on to its own bound
      await v1.close()
      await waitFor(() => budget.bytes === 1000, { message: 'v1 forgotten' })
      expect(await acceptsFrom(v2, 'v2', 5, 4, votes2)).toEqual([5, 6, 7])
      // v1 reopened (its vehicle spoke again): what it held undecided is counted again from its log
      replicas.splice(replicas.indexOf(v1), 1)
      await member('v1', budget, votes1)
      expect(budget.bytes).toBe(2500 + 2500)
    })
  })
})
