/**
 * Reads of a vehicle's own chain while it runs no consensus on it (VGuard's
 * endOfBooth blocks only): before answering from its store it checks, once,
 * that its backups hold no more than it does (own-chain-rollback.spec.ts
 * has a vehicle that lost its database). The check must not make reads
 * wait: not for a booth's round in progress, and not a lookup per read.
 */
import { describe, it, expect, afterEach, vi } from 'vitest'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { REPLICATE_PROTOCOL } from '../../src/protocols/replicate/constants.ts'

const utf8 = new TextEncoder()

describe('own chain - reads while it runs no consensus', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a leader read does not wait for an end of booth in progress (it waited for its whole replication round)', async () => {
    const [a, b] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const self = a.peerId.toString()
    await a.endOfBooth({ participants: [b.peerId.toString()], transactions: [{ key: 'k', value: utf8.encode('v1') }] })
    // b takes the next transfer and never answers: the round waits for it
    await b.libp2p.unhandle(REPLICATE_PROTOCOL)
    await b.libp2p.handle(REPLICATE_PROTOCOL, () => {})
    let boothDone = false
    const booth = a.endOfBooth({ participants: [b.peerId.toString()], transactions: [{ key: 'k', value: utf8.encode('v2') }] }).finally(() => { boothDone = true })
    // its block appended, its replication round under way
    await waitFor(async () => (await a.chains.tip(self)).height === 2, { message: 'the second block appended' })
    const read = await a.get(self, 'k', { consistency: 'leader' })
    expect(boothDone).toBe(false)
    expect(read.value).toEqual(utf8.encode('v2'))
    await booth.catch(() => {})
  })

  it('reads made while it checks share one lookup, and a vehicle alone is not asked again for each read', async () => {
    const a = await cluster.create()
    await a.start()
    const self = a.peerId.toString()
    const lookups = vi.spyOn(a.vguarddb, 'ownChainHolders')
    const reads = await Promise.all(Array.from({ length: 5 }, async () => await a.get(self, 'k', { consistency: 'leader' })))
    expect(reads.map(r => r.value)).toEqual([undefined, undefined, undefined, undefined, undefined])
    await a.vguarddb.readKey(self, 'k').catch(() => {})
    await a.get(self, 'k', { consistency: 'leader' })
    expect(lookups).toHaveBeenCalledTimes(1)
  })
})
