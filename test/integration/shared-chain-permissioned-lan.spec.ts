/**
 * A permissioned network's shared chain on a real LAN: 4 hosts (network
 * namespaces on a bridge), one `vguard-node start --allow …` process each,
 * discovery by mDNS only. Two of the four members have no shared chain (no
 * majority of the genesis booth): their writes fail with 503 and nothing is
 * written. A third brings the majority: a leader, writes from each. The
 * fourth joins the same chain. Needs root: see test/utils/lan.ts.
 */
import { describe, it, expect, afterEach, onTestFailed } from 'vitest'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { CAN_NETNS, SKIP_NETNS_REASON } from '../utils/env.ts'
import { createLan } from '../utils/lan.ts'
import type { Lan, LanHost } from '../utils/lan.ts'
import { waitFor } from '../utils/wait.ts'
import { loadOrCreateKey } from '../../src/node/identity.ts'

async function sharedLeader (host: LanHost): Promise<string | null> {
  try {
    return (await host.status()).shared.leader
  } catch {
    return null
  }
}

async function put (host: LanHost, key: string): Promise<{ status: number, height?: number, body: string }> {
  const res = await host.fetch(`/chains/shared/kv/${encodeURIComponent(key)}`, { method: 'PUT', body: key, timeout: 20_000 })
  return { status: res.status, height: res.status === 200 ? res.json<{ height: number }>().height : undefined, body: res.body }
}

describe.skipIf(!CAN_NETNS)('permissioned shared chain on a LAN of network namespaces', () => {
  let lan: Lan | undefined
  afterEach(async () => {
    await lan?.destroy()
    lan = undefined
  })

  it('two of four members start no chain; the third brings a majority and a leader; the fourth joins the same chain', async () => {
    lan = await createLan({ hosts: 4 })
    const { hosts } = lan
    // this test failed now and then under the full suite in CI: say what each host went through
    onTestFailed(() => {
      for (const h of hosts) {
        console.error(`host ${h.index}:\n  ${(h.process?.output ?? []).slice(-60).join('\n  ')}`)
      }
    })
    // every member's id before any starts: the allow list names all four
    const ids = await Promise.all(hosts.map(async h => peerIdFromPrivateKey(await loadOrCreateKey(h.dataDir)).toString()))
    const args = [...ids.flatMap(id => ['--allow', id]), '--commit-timeout', '3000']
    const start = async (h: LanHost): Promise<void> => { await h.start(args, { env: { ...process.env, DEBUG: 'vguard:consensus:shared,vguard:node' } }) }

    await Promise.all(hosts.slice(0, 2).map(start))
    await waitFor(async () => (await hosts[0].status()).peers.length === 1, { timeout: 30_000, interval: 250, message: 'hosts 1 and 2 found each other' })
    // the status says why there is no leader: the members, of whom a majority must be connected
    expect((await hosts[0].status()).shared.members).toEqual([...ids].sort())
    const minority = await put(hosts[0], 'minority')
    expect(minority.status, minority.body).toBe(503)
    expect(await sharedLeader(hosts[0])).toBeNull()
    expect((await hosts[1].status()).chains.find(c => c.id === 'shared')?.height ?? 0).toBe(0)

    await start(hosts[2])
    const three = hosts.slice(0, 3)
    await waitFor(async () => {
      const leaders = await Promise.all(three.map(sharedLeader))
      return leaders[0] != null && leaders.every(l => l === leaders[0])
    }, { timeout: 60_000, interval: 250, message: 'one leader agreed by the three' })
    const writes = await Promise.all(three.map(async (h, i) => await put(h, `three/${i}`)))
    for (const w of writes) expect(w.status, w.body).toBe(200)

    await start(hosts[3])
    const late = await put(hosts[3], 'four/3')
    expect(late.status, late.body).toBe(200)
    const top = Math.max(late.height ?? 0, ...writes.map(w => w.height ?? 0))
    await waitFor(async () => {
      const tips = await Promise.all(hosts.map(async h => (await h.status()).chains.find(c => c.id === 'shared')?.height ?? 0))
      return tips.every(t => t >= top)
    }, { timeout: 30_000, interval: 250, message: 'every member applied every block' })
    const founders = new Set(await Promise.all(hosts.map(async h => (await h.status()).shared.founder)))
    expect(founders.size).toBe(1)
    expect([...founders][0]).toMatch(/^members:/)
    // the same block at every height on every member
    const hashes = await Promise.all(hosts.map(async (h) => {
      const res = await h.fetch(`/chains/shared/blocks?from=1&to=${top}&transactions=false`)
      return res.json<{ blocks: Array<{ hash: string }> }>().blocks.map(b => b.hash)
    }))
    for (const chain of hashes) expect(chain).toEqual(hashes[0])
    for (const h of hosts) expect((await h.fetch('/chains/shared/kv/three%2F0')).status).toBe(200)
  })
})

if (!CAN_NETNS) describe('permissioned shared chain on a LAN of network namespaces', () => { it.skip(SKIP_NETNS_REASON, () => {}) })
