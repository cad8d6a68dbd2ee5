/**
 * A vehicle's own chain compacts its Paxos log every few hundred slots. Its
 * blocks are applied to the chain store without sync, so the store is flushed
 * first: otherwise a power cut could lose blocks whose slots are gone from the
 * log (a synced write of the replica's own records no longer flushes the
 * chain's payload segments, docs/storage.md).
 */
import { describe, it, expect } from 'vitest'
import { LevelPaxosStore } from '../../../src/storage/paxos-store.ts'
import type { Persist } from '../../../src/consensus/index.ts'
import { MemoryChainStore } from '../../../src/storage/index.ts'
import { encodeWrite } from '../../../src/node/batch.ts'
import { PAXOS_TIMING } from '../../../src/node/paxos-constants.ts'
import { enc } from '../storage/helpers.ts'
import { waitFor } from '../../utils/wait.ts'
import { SELF, useOwnReplica } from './helpers/own-replica.ts'

describe('node - an own-chain replica compacting its Paxos log', () => {
  const fixture = useOwnReplica()

  it('flushes the chain store before the slots it compacts away are dropped', async () => {
    const db = await fixture.database()
    const events: string[] = []
    const store = new MemoryChainStore()
    const flush = store.flush.bind(store)
    store.flush = async (chainId) => { events.push(`flush ${chainId}`); await flush(chainId) }
    const storage = new LevelPaxosStore(db).storage(SELF)
    const save = storage.save.bind(storage)
    storage.save = async (persist: Persist) => {
      if (persist.compactTo != null) events.push('compact')
      await save(persist)
    }
    const r = await fixture.open({ storage, store })
    // a booth of one decides alone; each write is its own slot (one at a time)
    const slots = PAXOS_TIMING.compactEvery + PAXOS_TIMING.compactKeep + 10
    for (let i = 0; i < slots; i++) {
      await r.submit(encodeWrite([{ key: `gps/${i}`, value: enc.encode(String(i)) }]), { timeout: 10_000, waitForReplication: false })
    }
    await waitFor(() => events.includes('compact'), { message: 'the log compacts' })
    const first = events.indexOf('compact')
    expect(events.slice(0, first)).toContain(`flush ${SELF}`)
  }, 60_000)

  it('compacts by the bytes of its values too: big blocks are not held in memory for compactEvery slots', async () => {
    const r = await fixture.open({ store: new MemoryChainStore() })
    const value = new Uint8Array(2 * 1024 * 1024)
    const perSlot = value.byteLength
    // enough slots for the bytes to call for a compaction twice, far fewer than compactEvery
    const slots = Math.ceil((PAXOS_TIMING.compactBytes + PAXOS_TIMING.compactKeepBytes) / perSlot) * 2
    expect(slots).toBeLessThan(PAXOS_TIMING.compactEvery)
    let most = 0
    for (let i = 0; i < slots; i++) {
      await r.submit(encodeWrite([{ key: `big/${i}`, value }]), { timeout: 10_000, waitForReplication: false })
      const st = r.status()
      most = Math.max(most, st.applied - st.compacted)
    }
    expect(r.status().compacted).toBeGreaterThan(0)
    // held at most: what it keeps, what piled up to the next compaction, and the slot in hand
    expect(most * perSlot).toBeLessThanOrEqual(PAXOS_TIMING.compactKeepBytes + PAXOS_TIMING.compactBytes + 2 * perSlot)
  }, 60_000)
})
