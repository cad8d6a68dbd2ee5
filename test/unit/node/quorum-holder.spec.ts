/**
 * A holder of the shared chain asked in a quorum read answers only once its
 * store holds what it voted for (ChainReplica.heldAccepted). A write is
 * acknowledged once a majority accepted it; a member of that majority that
 * has not learned the decision yet would answer the value before it, and so
 * would the others asked: Nr stale answers that agree.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { encodeWrite } from '../../../src/node/batch.ts'
import { enc } from '../storage/helpers.ts'
import { SHARED, ThreeReplicas } from './helpers/three-replicas.ts'

const dec = new TextDecoder()

describe('node - a quorum read\'s holder answers after what it accepted', () => {
  const set = new ThreeReplicas()
  afterEach(async () => { await set.close() })

  it('a member that accepted an acknowledged write but has not heard it decided waits until its store holds it', async () => {
    const { n1, byId, stores, cut, dropIf, tick, tickUntil } = await set.open()
    const n3 = byId.get('n3')
    if (n3 == null) throw new Error('no n3')
    const value = async (id: string): Promise<string | undefined> => {
      const kv = await stores.get(id)?.get(SHARED, 'k')
      return kv == null ? undefined : dec.decode(kv.value)
    }
    let first = false
    void n1.submit(encodeWrite([{ key: 'k', value: enc.encode('old') }]), { timeout: 60_000, waitForReplication: false }).then(() => { first = true })
    await tickUntil(() => first, 'the first write acknowledged')
    const stored = { n3: false }
    await tickUntil(() => { void value('n3').then(v => { stored.n3 = v === 'old' }); return stored.n3 }, 'n3 applied the first write')

    // n2 is away: n1's majority is n1 and n3. n3 takes accepts, and hears nothing that says they were decided
    for (const id of ['n1', 'n3']) { cut.add(`${id}>n2`); cut.add(`n2>${id}`) }
    dropIf.push(m => m.to === 'n3' && m.type !== 'accept')
    let acked = false
    void n1.submit(encodeWrite([{ key: 'k', value: enc.encode('new') }]), { timeout: 60_000, waitForReplication: false }).then(() => { acked = true })
    await tickUntil(() => acked, 'the write acknowledged by n1 and n3')
    expect(await value('n3')).toBe('old')

    let settled = false
    const held = n3.heldAccepted(60_000).then(async () => { settled = true; return await value('n3') })
    for (let i = 0; i < 5; i++) await tick()
    expect(settled).toBe(false)
    // the decision reaches n3 again: it answers once it applied it
    dropIf.splice(0)
    await tickUntil(() => settled, 'n3 held what it accepted')
    expect(await held).toBe('new')
  })

  it('a member whose leader left before the decision reached it says, past the wait, that its store does not hold what it accepted', async () => {
    let now = 0
    const { n1, byId, stores, cut, dropIf, tick, tickUntil } = await set.open({ clock: () => () => now })
    const n3 = byId.get('n3')
    if (n3 == null) throw new Error('no n3')
    // n2 is away: n1's majority is n1 and n3, and n3 hears only n1's accepts
    for (const id of ['n1', 'n3']) { cut.add(`${id}>n2`); cut.add(`n2>${id}`) }
    dropIf.push(m => m.to === 'n3' && m.type !== 'accept')
    let acked = false
    void n1.submit(encodeWrite([{ key: 'k', value: enc.encode('new') }]), { timeout: 60_000, waitForReplication: false }).then(() => { acked = true })
    await tickUntil(() => acked, 'the write acknowledged by n1 and n3')
    // n1 leaves: nothing decides the slot again while n3 waits
    dropIf.push(m => m.from === 'n1' || m.to === 'n1')

    let held: boolean | undefined
    void n3.heldAccepted(1_000).then(h => { held = h })
    for (let i = 0; i < 5; i++) await tick()
    expect(held).toBe(undefined)
    now += 1_001
    await tickUntil(() => held != null, 'n3 gave up waiting')
    expect(held).toBe(false)
    expect(await stores.get('n3')?.get(SHARED, 'k')).toBe(undefined)
  })

  it('a member with nothing undecided answers at once', async () => {
    const { n1, byId, tickUntil } = await set.open()
    let acked = false
    void n1.submit(encodeWrite([{ key: 'k', value: enc.encode('v') }]), { timeout: 60_000, waitForReplication: false }).then(() => { acked = true })
    await tickUntil(() => acked, 'acknowledged')
    const n2 = byId.get('n2')
    let settled = false
    let held: boolean | undefined
    void n2?.heldAccepted(60_000).then(h => { held = h; settled = true })
    await tickUntil(() => settled, 'n2 answered')
    expect(held).toBe(true)
  })
})
