/**
 * Hosts on a real (namespaced) LAN, one vguard-node process each, mDNS over
 * real multicast across a bridge. Needs root: see test/utils/lan.ts.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { CAN_NETNS, SKIP_NETNS_REASON } from '../utils/env.ts'
import { createLan, connectedPeerIds } from '../utils/lan.ts'
import type { Lan, LanHost } from '../utils/lan.ts'
import { waitFor } from '../utils/wait.ts'

const others = (hosts: LanHost[], self: LanHost): string[] => hosts.filter(h => h !== self).map(h => h.peerId).sort()

/** True when every host lists exactly the other hosts as connected peers. */
async function meshOf (hosts: LanHost[]): Promise<boolean> {
  const seen = await Promise.all(hosts.map(connectedPeerIds))
  return hosts.every((h, i) => JSON.stringify(seen[i]) === JSON.stringify(others(hosts, h)))
}

describe.skipIf(!CAN_NETNS)('LAN of network namespaces', () => {
  let lan: Lan | undefined
  afterEach(async () => {
    await lan?.destroy()
    lan = undefined
  })

  it('five hosts discover each other by mDNS alone and connect; a killed host is seen gone', async () => {
    lan = await createLan({ hosts: 5 })
    const { hosts } = lan
    await Promise.all(hosts.map(async h => await h.start()))
    for (const h of hosts) {
      // nothing but mDNS: no bootstrap list, only the LAN address to listen on
      expect(h.process?.addresses).toHaveLength(1)
      expect(h.process?.addresses[0]).toMatch(new RegExp(`^/ip4/${h.address}/tcp/\\d+/p2p/${h.peerId}$`))
    }
    await waitFor(async () => await meshOf(hosts), { timeout: 60_000, message: 'all 5 hosts connected to each other' })

    // peers connect over the LAN, not via some loopback path
    const status = await hosts[0].status()
    for (const peer of status.peers) {
      const host = hosts.find(h => h.peerId === peer.peerId)
      expect(peer.addresses.every(a => a.startsWith(`/ip4/${host?.address}/tcp/`))).toBe(true)
    }

    const victim = hosts[4]
    expect(await victim.kill('SIGKILL')).toBeNull()
    const survivors = hosts.slice(0, 4)
    await waitFor(async () => await meshOf(survivors), { timeout: 30_000, message: 'killed host gone from every /status' })
    for (const h of survivors) expect(await connectedPeerIds(h)).not.toContain(victim.peerId)
  })

  it('a restarted host (same key, new port) is found and reconnected by mDNS', async () => {
    lan = await createLan({ hosts: 3 })
    const { hosts } = lan
    await Promise.all(hosts.map(async h => await h.start()))
    await waitFor(async () => await meshOf(hosts), { timeout: 60_000, message: '3 hosts connected' })
    const [, , c] = hosts
    const id = c.peerId
    const oldAddress = c.process?.addresses[0]
    await c.kill('SIGKILL')
    await waitFor(async () => await meshOf(hosts.slice(0, 2)), { timeout: 30_000, message: 'restarting host gone' })
    await c.start()
    expect(c.peerId).toBe(id)
    expect(c.process?.addresses[0]).not.toBe(oldAddress)
    await waitFor(async () => await meshOf(hosts), { timeout: 60_000, message: 'restarted host reconnected' })
  })

  // regression: with no FIN or RST a silent peer stayed "connected" for minutes on both sides
  it('a host cut off the LAN is seen gone on both sides and rejoins when reconnected', async () => {
    lan = await createLan({ hosts: 3 })
    const { hosts } = lan
    await Promise.all(hosts.map(async h => await h.start()))
    await waitFor(async () => await meshOf(hosts), { timeout: 60_000, message: '3 hosts connected' })
    const [a, b, c] = hosts

    await c.cutOff()
    // its HTTP API stays reachable: only the LAN is gone
    await waitFor(async () => await meshOf([a, b]) && (await connectedPeerIds(c)).length === 0, {
      timeout: 90_000, interval: 500, message: 'a and b drop c, c drops both'
    })
    expect(c.process?.output).toContain(`peer disconnected: ${a.peerId}`)
    expect(a.process?.output).toContain(`peer disconnected: ${c.peerId}`)

    await c.reconnect()
    await waitFor(async () => await meshOf(hosts), { timeout: 90_000, interval: 500, message: 'c back in the mesh' })
  })

  // regression: commander took any value of VGUARD_NO_MDNS, even 0, as "mDNS off"
  it('VGUARD_NO_MDNS=0 keeps mDNS on, VGUARD_NO_MDNS=1 turns it off', async () => {
    lan = await createLan({ hosts: 3 })
    const [off, on1, on2] = lan.hosts
    await off.start([], { env: { VGUARD_NO_MDNS: '1' } })
    await Promise.all([on1, on2].map(async h => await h.start([], { env: { VGUARD_NO_MDNS: '0' } })))
    // both queried the LAN while `off` was up; with mDNS it would have answered too
    await waitFor(async () => await meshOf([on1, on2]), { timeout: 60_000, message: 'mDNS hosts connected' })
    expect(await connectedPeerIds(off)).toEqual([])
    expect(await connectedPeerIds(on1)).toEqual([on2.peerId])
  })

  it('hosts of different networks on one LAN do not connect, by mDNS or by dialing', async () => {
    lan = await createLan({ hosts: 4 })
    const [a1, a2, b1, b2] = lan.hosts
    await Promise.all([a1, a2].map(async h => await h.start(['--network', 'fleet-a'])))
    await Promise.all([b1, b2].map(async h => await h.start(['--network', 'fleet-b'])))
    // each pair found the other over the same wire, hearing the other fleet's queries too
    await waitFor(async () => await meshOf([a1, a2]) && await meshOf([b1, b2]), { timeout: 60_000, message: 'each fleet connected' })

    // now make b2 dial a1 outright: identify shows the other network and both sides hang up
    await b2.kill('SIGTERM')
    const b2Proc = await b2.start(['--network', 'fleet-b', '--bootstrap', a1.process?.addresses[0] ?? ''])
    await waitFor(() => b2Proc.output.some(l => l.startsWith(`peer rejected: ${a1.peerId} (network fleet-a is not fleet-b)`)), { timeout: 30_000, message: 'b2 rejects a1' })
    await waitFor(() => a1.process?.output.some(l => l.startsWith(`peer rejected: ${b2.peerId} (network fleet-b is not fleet-a)`)) === true, { timeout: 30_000, message: 'a1 rejects b2' })
    await waitFor(async () => await meshOf([b1, b2]), { timeout: 60_000, message: 'b2 back with b1' })

    expect(await connectedPeerIds(a1)).toEqual([a2.peerId])
    expect(await connectedPeerIds(a2)).toEqual([a1.peerId])
    expect(await connectedPeerIds(b1)).toEqual([b2.peerId])
    expect(await connectedPeerIds(b2)).toEqual([b1.peerId])
    expect((await a1.status()).network).toBe('fleet-a')
    expect((await b1.status()).network).toBe('fleet-b')
  })
})

if (!CAN_NETNS) {
  describe('LAN of network namespaces', () => {
    it.skip(`skipped: ${SKIP_NETNS_REASON}`, () => {})
  })
}
