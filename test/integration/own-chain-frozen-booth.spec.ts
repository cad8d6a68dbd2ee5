/**
 * A vehicle's leader read of its own chain while a write it proposed waits
 * on a booth that froze (the members' processes stopped, their connections
 * still open). The vehicle is its chain's only proposer: that write was
 * acknowledged to nobody, so the read answers at once with what was
 * decided, as it does with its booth down. A docs probe's read waited for
 * the write, then failed with "confirmed, but the chain store did not
 * apply the read index in time". Real member processes, frozen with SIGSTOP.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { spawnNode } from '../../src/swarm/process.ts'
import type { NodeProcess } from '../../src/swarm/process.ts'

const utf8 = new TextEncoder()
const text = (v: Uint8Array | undefined): string | undefined => v == null ? undefined : new TextDecoder().decode(v)

describe('own chain - a leader read while its booth is frozen', () => {
  const cluster = new TestCluster()
  const members: NodeProcess[] = []
  afterEach(async () => {
    for (const m of members) m.child.kill('SIGCONT')
    await Promise.all(members.splice(0).map(async m => { await m.stop('SIGKILL') }))
    await cluster.teardown()
  })

  it('answers what was decided, with a write in flight or not; the write commits once the booth is back', async () => {
    const a = await cluster.create({ boothSize: 3 })
    await a.start()
    const self = a.peerId.toString()
    for (let i = 0; i < 2; i++) {
      members.push(await spawnNode({
        args: ['--data-dir', await cluster.tempDir(), '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', '--no-mdns',
          '--network', a.config.network, '--bootstrap', a.multiaddrs[0].toString()]
      }))
    }
    await waitFor(() => a.peers().length === 2, { timeout: 30_000, message: 'both members connected' })
    await a.put('k', utf8.encode('v1'))
    await waitFor(() => a.consensus.status().find(r => r.chainId === self)?.booth.length === 3, { message: 'a booth of three' })
    for (const m of members) m.child.kill('SIGSTOP')

    // nothing in flight: the vehicle's own chain needs no confirmation
    expect(text((await a.get(self, 'k', { consistency: 'leader' })).value)).toBe('v1')
    const pending = a.put('k', utf8.encode('v2'), { timeout: 20_000 })
    pending.catch(() => {})
    await waitFor(() => (a.consensus.status().find(r => r.chainId === self)?.outstanding ?? 0) > 0, { message: 'the write proposed' })
    const read = await a.get(self, 'k', { consistency: 'leader' })
    expect(text(read.value)).toBe('v1')
    expect(read.servedBy).toEqual([self])
    for (const m of members) m.child.kill('SIGCONT')
    expect((await pending).height).toBe(2)
    expect(text((await a.get(self, 'k', { consistency: 'leader' })).value)).toBe('v2')
  })
})
