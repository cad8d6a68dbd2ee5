/**
 * A quorum read of the shared chain right after its leader died with a write
 * acknowledged: a majority (the leader and one member) accepted it, and the
 * member never heard it decided. Until the slot is decided again (an
 * election) that member's store lacks the write; answering from it, it and
 * a member outside that majority agreed on the value the write replaced (Nr
 * = 2 of a booth of 3), and the read returned it. Real nodes over TCP; the
 * cut drops shared-chain consensus messages (connections stay), and keeps
 * the two survivors from electing for as long as the read runs: an election
 * slower than the holder's wait (QUORUM_HOLDER_WAIT) is the same to it.
 */
import { describe, it, expect, afterEach, vi } from 'vitest'
import { TestCluster, fullyConnected, prioritySwarm, sharedLeader } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import type { Message } from '../../src/consensus/index.ts'

const utf8 = new TextEncoder()
const text = new TextDecoder()

/** Drops each shared-chain consensus message `drop` says to, while `cut.on`. */
function cutShared (nodes: VGuardNode[], cut: { on: boolean }, drop: (message: Message) => boolean): void {
  for (const node of nodes) {
    const transport = node.consensus.driver.transport
    const send = transport.send.bind(transport)
    vi.spyOn(transport, 'send').mockImplementation((messages) => {
      send(cut.on ? messages.filter(cm => cm.chainId !== 'shared' || !drop(cm.message as Message)) : messages)
    })
  }
}

describe('consensus - shared chain, a quorum read right after its leader died', () => {
  const cluster = new TestCluster()
  afterEach(async () => {
    vi.restoreAllMocks()
    await cluster.teardown()
  })

  it('does not return the value an acknowledged write replaced: the member that accepted it cannot vouch for its store yet', async () => {
    const nodes = await prioritySwarm(cluster, [9, 5, 0])
    const [leader, next, third] = nodes
    const [l, n, t] = nodes.map(x => x.peerId.toString())
    await waitFor(() => nodes.every(x => sharedLeader(x) === l), { timeout: 30_000, message: 'every node follows the priority-9 leader' })
    await leader.put('k', utf8.encode('old'), { chainId: 'shared' })
    await waitFor(async () => (await Promise.all(nodes.map(async x => await x.get('shared', 'k')))).every(r => r.value != null), { message: 'every node applied the first write' })

    // the next hears nothing of the leader's; the third only its accepts (never that they were decided); the two do not hear each other
    const cut = { on: true }
    cutShared(nodes, cut, m => (m.from === l && m.to === n) || (m.from === l && m.to === t && m.type !== 'accept') ||
      (m.from === n && m.to === t) || (m.from === t && m.to === n))
    await leader.put('k', utf8.encode('new'), { chainId: 'shared', timeout: 10_000 })
    await cluster.stopNode(leader)
    expect(text.decode((await third.get('shared', 'k')).value)).toBe('old')

    // the third and the next are two of three holders: before, both answered "old" and the read returned it
    const read = await next.get('shared', 'k', { consistency: 'quorum' }).then(r => text.decode(r.value), (err: Error) => err)
    expect(read).toBeInstanceOf(Error)
    // and says why the third did not answer
    expect(read).toMatchObject({ name: 'QuorumReadError', message: expect.stringContaining(`${t}: unavailable (UNAVAILABLE: this holder accepted shared-chain slots it has not seen decided yet`) })

    // a redirect read of its own copy is no holder's word in a quorum: the third still answers it from its copy
    const own = await third.vguarddb.readKey('shared', 'k')
    expect(own.servedBy).toBe(t)
    expect(text.decode(own.response.value)).toBe('old')

    // the two elect; the slot is decided again with the value the third accepted: nothing acknowledged was lost
    cut.on = false
    const live = [next, third]
    await waitFor(() => fullyConnected(live) && live.every(x => sharedLeader(x) === n), { timeout: 60_000, message: 'the two follow the next' })
    await waitFor(async () => text.decode((await third.get('shared', 'k')).value) === 'new', { timeout: 30_000, message: 'the third applied the acknowledged write' })
    expect(text.decode((await next.get('shared', 'k', { consistency: 'quorum' })).value)).toBe('new')
  }, 120_000)
})
