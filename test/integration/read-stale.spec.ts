/**
 * QA's case: a backup that was down while the chain moved to new backups
 * comes back believing it is still active. A reader that holds the newer
 * table must not take its old copy as current: it goes on to a holder at the
 * current epoch, and returns the old value (flagged stale) only if none is up.
 * A reader that heard an old table replayed by a member (not its proposer)
 * does not take it for news either (a review: it served the old value as fresh),
 * nor one a holder's answer shows it (b, back from away, showed its old table
 * to a reader that held none, and that reader served b's old value as fresh).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { gossipAgedOut, waitFor } from '../utils/wait.ts'
import { boothsTopic } from '../../src/node/vguarddb.ts'
import type { VGuardNode } from '../../src/node/index.ts'

const utf8 = new TextEncoder()
const text = new TextDecoder()
const ids = (...nodes: VGuardNode[]): string[] => nodes.map(n => n.peerId.toString())

describe('read - a backup behind the reader\'s table is stale', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a restarted backup that missed the newest table is not served as current', async () => {
    const [n2, n3, n4, n5, n6, n7] = await connectedSwarm(cluster, 6, { kBackups: 2 })
    const chainId = n2.peerId.toString()
    const [id2, id4, id5, id6] = ids(n2, n4, n5, n6)

    const first = await n2.endOfBooth({ participants: ids(n3, n4), transactions: [{ key: 'k', value: utf8.encode('old') }] })
    expect(first).toMatchObject({ epoch: 1, height: 1 })
    expect(first.active.sort()).toEqual(ids(n3, n4).sort())
    // as in QA's run, n4 heard of epoch 1 (gossip) before it went down
    await waitFor(() => n4.vguarddb.tables.get(chainId)?.table.epoch === 1, { message: 'n4 holds epoch 1' })
    const n4Dir = n4.config.dataDir
    await cluster.stopNode(n4)

    const second = await n2.endOfBooth({ participants: ids(n5, n6), transactions: [{ key: 'k', value: utf8.encode('new') }] })
    expect(second).toMatchObject({ epoch: 2, height: 2 })
    expect(second.active.sort()).toEqual([id5, id6].sort())
    expect(second.obsolete).toContain(id4)
    await waitFor(() => n7.vguarddb.tables.get(chainId)?.table.epoch === 2, { message: 'n7 holds epoch 2' })

    // n4 comes back knowing only epoch 1 (the proposer that would release it is down)
    await cluster.stopNode(n2)
    await cluster.stopNode(n6)
    const back = await cluster.create({ dataDir: n4Dir, kBackups: 2, bootstrap: [n7.multiaddrs[0].toString()] })
    await back.start()
    expect(back.peerId.toString()).toBe(id4)
    await waitFor(() => n7.peers().some(p => p.peerId === id4), { message: 'n4 rejoined' })
    // it still holds its epoch-1 copy (only the proposer, now down, can release it), and
    // believes it is active, or has already heard of epoch 2 (gossipsub offers a peer that
    // rejoins the messages of its last few heartbeats; seen 1 full run in ~20): either way
    // the reader below must pass it over. The unit tests of readWithRedirect pin the first case.
    expect((await back.chains.tip(chainId)).height).toBe(1)
    const n4Table = back.vguarddb.tables.get(chainId)?.table
    expect(n4Table?.epoch === 1 ? n4Table.active : n4Table?.obsolete).toContain(id4)

    // a current holder is up: n4's answer is passed over
    const fresh = await n7.vguarddb.readKey(chainId, 'k', { via: [id4] })
    expect(fresh).toMatchObject({ servedBy: id5, stale: false, epoch: 2, height: 2 })
    expect(text.decode(fresh.response.value)).toBe('new')
    // then the table's active backups in its order: n6 (down) may come before n5
    const after = fresh.path.slice(2).map(p => [p.peerId, p.outcome])
    expect(fresh.path.slice(0, 2).map(p => [p.peerId, p.outcome])).toEqual([[id2, 'unreachable'], [id4, 'stale']])
    expect([[[id5, 'served']], [[id6, 'unreachable'], [id5, 'served']]]).toContainEqual(after)
    // n4 answers with its epoch-1 table, or, if it has heard of epoch 2 since it rejoined (as
    // below), as the obsolete backup it now knows it is: passed over either way
    const n4Said = fresh.path[1]
    expect([1, 2]).toContain(n4Said.epoch)
    expect(n4Said.error).toMatch(n4Said.epoch === 1 ? /epoch 1 < 2/ : /obsolete backup/)

    // nobody current is reachable: the old value comes back, clearly flagged
    await cluster.stopNode(n5)
    const old = await n7.vguarddb.readKey(chainId, 'k', { via: [id4] })
    expect(old).toMatchObject({ servedBy: id4, stale: true, height: 1 })
    // n4 may have heard of epoch 2 by now (gossipsub offers recent messages to a peer that
    // rejoins the mesh within a few heartbeats; seen under load): its copy is stale either way
    expect([1, 2]).toContain(old.epoch)
    expect(text.decode(old.response.value)).toBe('old')
    expect(old.path.slice(0, 2).map(p => [p.peerId, p.outcome])).toEqual([[id2, 'unreachable'], [id4, 'stale']])
    // then n5 and n6 (down), and the table lookup among n7's neighbours, which finds no newer table
    const rest = old.path.slice(2)
    expect(rest.filter(p => [id5, id6].includes(p.peerId)).map(p => [p.peerId, p.outcome]).sort()).toEqual([[id5, 'unreachable'], [id6, 'unreachable']].sort())
    expect(rest.filter(p => ![id5, id6].includes(p.peerId)).every(p => p.outcome === 'redirect' || p.outcome === 'unavailable')).toBe(true)
    // what n4 showed did not roll the reader back
    expect(n7.vguarddb.tables.get(chainId)?.table.epoch).toBe(2)
  })

  it('a reader that was away with that backup, or only heard the old table replayed by a member or shown in its answer, looks the table up before it takes the backup\'s answer', async () => {
    const [a, b, d, x, r] = await connectedSwarm(cluster, 5, { kBackups: 1 })
    const chainId = a.peerId.toString()
    // x keeps what it hears: epoch 1's booth result, signed by a, to replay later
    const topic = boothsTopic(`test-${process.pid}`)
    const heard: Uint8Array[] = []
    x.libp2p.services.pubsub.addEventListener('message', (evt) => { if (evt.detail.topic === topic) heard.push(evt.detail.data) })
    const first = await a.endOfBooth({ participants: ids(b), transactions: [{ key: 'k', value: utf8.encode('old') }] })
    expect(first.active).toEqual(ids(b))
    await waitFor(() => r.vguarddb.tables.get(chainId)?.table.epoch === 1 && heard.length === 1, { message: 'r holds epoch 1, x heard it' })
    // r and b go away; the chain moves to d; its proposer leaves before it could release b
    const away = [r, b].map(n => n.config.dataDir)
    await cluster.stopNode(r)
    await cluster.stopNode(b)
    const second = await a.endOfBooth({ participants: ids(d), transactions: [{ key: 'k', value: utf8.encode('new') }] })
    expect(second).toMatchObject({ epoch: 2, active: ids(d) })
    await waitFor(() => x.vguarddb.tables.get(chainId)?.table.epoch === 2, { message: 'x holds epoch 2' })
    await cluster.stopNode(a)
    // gossipsub offers a peer that joins its mesh the messages of its last few heartbeats (1 s each, 5 kept):
    // epoch 2's would reach r (and the newcomer) as they come in
    await gossipAgedOut([d, x])
    // back, and two newcomers that never heard of a's chain
    const [rBack, bBack, newcomer, stranger] = await Promise.all([...away, undefined, undefined].map(async (dataDir) => {
      const node = await cluster.create({ dataDir, kBackups: 1, bootstrap: [x.multiaddrs[0].toString(), d.multiaddrs[0].toString()] })
      await node.start()
      return node
    }))
    const metAll = (n: VGuardNode): boolean => n.peers().length >= 3 && [bBack, x].every(o => n.peers().some(p => p.peerId === o.peerId.toString()))
    await waitFor(() => metAll(rBack) && metAll(newcomer) && metAll(stranger), { message: 'r and b back, the newcomers in' })

    // the proposer does not answer and r learned nothing newer: it asks its neighbours before it believes b
    const read = await rBack.vguarddb.readKey(chainId, 'k')
    expect(read).toMatchObject({ stale: false, epoch: 2, servedBy: d.peerId.toString() })
    expect(text.decode(read.response.value)).toBe('new')
    expect(rBack.vguarddb.tables.get(chainId)?.table.epoch).toBe(2)

    // the stranger, knowing no table, asks b first (a holder its caller knows of): b answers as active
    // and shows its epoch-1 table, newer than none but only b's word, so the stranger looks it up too
    expect(stranger.vguarddb.tables.get(chainId)).toBeUndefined()
    const shown = await stranger.vguarddb.readKey(chainId, 'k', { via: ids(bBack) })
    expect(shown).toMatchObject({ stale: false, epoch: 2, servedBy: d.peerId.toString() })
    expect(text.decode(shown.response.value)).toBe('new')
    expect(shown.path.find(p => p.peerId === bBack.peerId.toString())).toMatchObject({ outcome: 'stale', epoch: 1 })

    // x, a member, publishes a's epoch-1 booth result anew: the newcomer adopts the table, as a hint
    // that is not news (only a's own would be), so it looks the table up before it believes b
    expect(newcomer.vguarddb.tables.get(chainId)).toBeUndefined()
    await waitFor(() => x.libp2p.services.pubsub.getSubscribers(topic).some(p => p.equals(newcomer.peerId)), { message: 'x knows the newcomer subscribes' })
    await x.libp2p.services.pubsub.publish(topic, heard[0])
    await waitFor(() => newcomer.vguarddb.tables.get(chainId)?.table.epoch === 1, { message: 'the newcomer adopted the replayed epoch 1' })
    const replayed = await newcomer.vguarddb.readKey(chainId, 'k')
    expect(replayed).toMatchObject({ stale: false, epoch: 2, servedBy: d.peerId.toString() })
    expect(text.decode(replayed.response.value)).toBe('new')
  })

  it('an active backup whose own copy is as high as a stale holder\'s answers with its own, not the stale one', async () => {
    const [A, C, D] = await connectedSwarm(cluster, 3, { kBackups: 1 })
    const chainId = A.peerId.toString()
    await A.endOfBooth({ participants: ids(C), transactions: [{ key: 'k', value: utf8.encode('old') }] })
    // C misses its release: it keeps its copy, obsolete, and still answers reads of it
    await C.libp2p.unhandle(C.vguarddb.release.protocol)
    const second = await A.endOfBooth({ participants: ids(D), transactions: [{ key: 'k', value: utf8.encode('new') }] })
    expect(second.active).toEqual(ids(D))
    expect(second.obsolete).toEqual(ids(C))
    await waitFor(() => C.vguarddb.tables.get(chainId)?.table.epoch === 2, { message: 'C holds the table naming it obsolete' })
    // C's copy catches up to the signed tip: as high as D's
    await C.sync.reconcile(chainId, { peers: [A.peerId] })
    expect((await C.chains.tip(chainId)).height).toBe(2)
    await cluster.stopNode(A)
    const read = await D.vguarddb.readKey(chainId, 'k')
    expect(text.decode(read.response.value)).toBe('new')
    // before, the stale answer at the same height won over D's own current copy
    expect(read).toMatchObject({ stale: false, servedBy: D.peerId.toString(), height: 2 })
  })
})
