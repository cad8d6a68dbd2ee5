/**
 * Leader reads through the driver (ChainReplica.confirmLeader) on three
 * shared-chain replicas over an in-memory router. A leader cut off from the
 * others still believes it leads; its reads must not be served from its
 * stale store, while the leader the majority elected serves the newest value.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { encodeWrite } from '../../../src/node/batch.ts'
import type { ChainReplica } from '../../../src/node/paxos-replica.ts'
import { enc } from '../storage/helpers.ts'
import { SHARED, ThreeReplicas } from './helpers/three-replicas.ts'

const dec = new TextDecoder()

describe('node - leader reads (read index)', () => {
  const set = new ThreeReplicas()
  afterEach(async () => { await set.close() })

  /** Settles `promise` while the replicas tick (the state machine runs on ticks and messages). */
  async function whileTicking<T> (promise: Promise<T>, tick: () => Promise<void>): Promise<{ value?: T, error?: Error }> {
    let outcome: { value?: T, error?: Error } | undefined
    promise.then((value) => { outcome = { value } }, (error: Error) => { outcome = { error } })
    const settled = (): boolean => outcome != null
    for (let i = 0; i < 1_000 && !settled(); i++) await tick()
    expect(outcome, 'the read settled').toBeDefined()
    return outcome as { value?: T, error?: Error }
  }

  async function write (replica: ChainReplica, value: string, tick: () => Promise<void>): Promise<void> {
    const done = await whileTicking(replica.submit(encodeWrite([{ key: 'k', value: enc.encode(value) }]), { timeout: 60_000, waitForReplication: false }), tick)
    expect(done.error).toBeUndefined()
  }

  it('a leader cut off in a minority refuses leader reads; the elected one serves the newest value', async () => {
    const { n1, byId, stores, cut, connected, tick, tickUntil, newLeader } = await set.open()
    await write(n1, 'old', tick)
    expect((await whileTicking(n1.confirmLeader(10_000), tick)).error).toBeUndefined()
    expect(dec.decode((await stores.get('n1')?.get(SHARED, 'k'))?.value)).toBe('old')

    // n1 is cut off both ways; n2 and n3 elect one of them and commit a newer value
    for (const other of ['n2', 'n3']) {
      cut.add(`n1>${other}`)
      cut.add(`${other}>n1`)
    }
    connected.n1 = []
    connected.n2 = ['n3']
    connected.n3 = ['n2']
    await tickUntil(() => newLeader() != null, 'n2 or n3 leads')
    const leader = byId.get(newLeader() as string) as ChainReplica
    await write(leader, 'new', tick)

    // n1's store says "old": the read is refused, not served. Whether n1
    // still believes it leads (no majority confirms the read) or has stepped
    // down already (it heard no majority for two election timeouts:
    // check-quorum) depends only on how many ticks the election took
    const stale = await whileTicking(n1.confirmLeader(60_000), tick)
    expect(['NoQuorumError', 'NotProposerError']).toContain(stale.error?.name)
    expect(dec.decode((await stores.get('n1')?.get(SHARED, 'k'))?.value)).toBe('old')
    // and it does not go on calling itself the leader
    await tickUntil(() => !n1.isLeader(), 'n1 steps down')
    expect(n1.leader()).toBeUndefined()

    // the elected leader confirms at once and has applied "new"
    expect((await whileTicking(leader.confirmLeader(10_000), tick)).error).toBeUndefined()
    expect(dec.decode((await stores.get(leader.status().leader as string)?.get(SHARED, 'k'))?.value)).toBe('new')

    // healed: n1 hears the new leader, follows it, and names it to readers
    cut.clear()
    connected.n1 = ['n2', 'n3']
    await tickUntil(() => n1.leader() === leader.status().leader && !n1.isLeader(), 'n1 follows the new leader')
    const redirected = await whileTicking(n1.confirmLeader(10_000), tick)
    expect(redirected.error?.name).toBe('NotProposerError')
    expect((redirected.error as Error & { leader?: string }).leader).toBe(leader.status().leader)
  })

  it('a write that waits on its new leader\'s confirmation, which no majority gives, says so of the write, not of a leader read it never asked for', async () => {
    const { n1, cut, connected, tick } = await set.open()
    for (const other of ['n2', 'n3']) {
      cut.add(`n1>${other}`)
      cut.add(`${other}>n1`)
    }
    connected.n1 = []
    const settled = await whileTicking(n1.settleLeadership(60_000), tick)
    // the read times out after two election timeouts, when check-quorum steps the leader down too: either comes first
    if (settled.error?.name === 'NotProposerError') {
      expect(settled.error.message).toMatch(/^n1 no longer leads chain shared$/)
    } else {
      expect(settled.error).toMatchObject({
        name: 'NoQuorumError',
        message: 'write to shared not proposed (as the chain\'s new leader, this node first confirms its leadership with its booth and applies what earlier leaders chose): ' +
          'no majority of the booth confirmed this node\'s leadership in time; nothing was written'
      })
    }
    // a leader read says it of itself
    const read = await whileTicking(n1.confirmLeader(60_000), tick)
    expect(read.error?.message).toMatch(/^leader read of shared: |does not lead|no longer leads/)
  })

  it('a new leader\'s first read waits for the values it recovered: a write the old leader acknowledged is seen', async () => {
    const { n1, byId, stores, cut, dropIf, connected, tick, tickUntil, newLeader } = await set.open()
    // n2 and n3 accept the write but never hear that it was decided
    dropIf.push(m => m.from === 'n1' && (m.type === 'heartbeat' || m.type === 'decided'))
    await write(n1, 'acknowledged', tick)
    expect(await stores.get('n2')?.get(SHARED, 'k')).toBeUndefined()
    expect(await stores.get('n3')?.get(SHARED, 'k')).toBeUndefined()

    // n1 is gone. Between n2 and n3, acceptances are held back for now: the
    // new leader recovers the write in phase 1 but cannot decide it again yet
    for (const other of ['n2', 'n3']) cut.add(`n1>${other}`)
    connected.n2 = ['n3']
    connected.n3 = ['n2']
    let hold = true
    dropIf.push(m => hold && m.type === 'accepted' && m.from !== 'n1' && m.to !== 'n1')
    await tickUntil(() => newLeader() != null, 'n2 or n3 leads')
    const id = newLeader() as string
    let seen: string | undefined
    let failed: Error | undefined
    void byId.get(id)?.confirmLeader(10_000).then(async () => {
      const kv = await stores.get(id)?.get(SHARED, 'k')
      seen = kv == null ? 'nothing' : dec.decode(kv.value)
    }, (err: Error) => { failed = err })
    // the majority confirms the leadership at once, but the read waits for the recovered write
    for (let i = 0; i < 10; i++) await tick()
    expect(failed).toBeUndefined()
    expect(seen).toBeUndefined()
    expect(await stores.get(id)?.get(SHARED, 'k')).toBeUndefined()
    hold = false
    await tickUntil(() => seen != null || failed != null, 'the new leader answered the read')
    expect(failed).toBeUndefined()
    expect(seen).toBe('acknowledged')
  })
})
