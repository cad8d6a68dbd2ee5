/**
 * The shared chain on a real LAN: hosts are network namespaces on a bridge,
 * one `vguard-node start` process each, discovery by mDNS only.
 * - 5 hosts write to the shared chain over HTTP; the leader's process is
 *   killed with SIGKILL mid-write. A new leader takes over, every
 *   acknowledged write is on every surviving host, and every height holds
 *   the same block everywhere.
 * - 3 hosts; a follower is cut off the LAN until it gives up on the leader,
 *   and comes back without forcing an election (PreVote). Then the leader is
 *   cut off (its process runs on): it steps down, the other two elect a
 *   leader and go on; back on the LAN there is one leader again and it has
 *   caught up.
 * Needs root: see test/utils/lan.ts.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { CAN_NETNS } from '../utils/env.ts'
import { createLan } from '../utils/lan.ts'
import type { Lan, LanHost } from '../utils/lan.ts'
import { waitFor } from '../utils/wait.ts'

interface Acked { key: string, value: string, height: number, host: number }

async function sharedLeader (host: LanHost): Promise<string | null> {
  try {
    return (await host.status()).shared.leader
  } catch {
    return null
  }
}

async function blockHashes (host: LanHost, to: number): Promise<string[]> {
  const hashes: string[] = []
  for (let from = 1; from <= to; from += 100) {
    const res = await host.fetch(`/chains/shared/blocks?from=${from}&to=${Math.min(to, from + 99)}&transactions=false`)
    expect(res.status).toBe(200)
    hashes.push(...res.json<{ blocks: Array<{ hash: string }> }>().blocks.map(b => b.hash))
  }
  return hashes
}

describe.skipIf(!CAN_NETNS)('shared chain on a LAN of network namespaces', () => {
  let lan: Lan | undefined
  afterEach(async () => {
    await lan?.destroy()
    lan = undefined
  })

  it('5 hosts write; the leader is killed -9 mid-write; a new leader takes over and nothing acknowledged is lost or forked', async () => {
    lan = await createLan({ hosts: 5 })
    const { hosts } = lan
    // host 0 leads first (highest priority), host 1 is next in line
    const priorities = [50, 40, 0, 0, 0]
    await Promise.all(hosts.map(async (h, i) => await h.start(['--priority', String(priorities[i]), '--commit-timeout', '8000'])))
    await waitFor(async () => {
      const leaders = await Promise.all(hosts.map(sharedLeader))
      return leaders.every(l => l === hosts[0].peerId)
    }, { timeout: 60_000, interval: 250, message: 'all 5 hosts follow host 0 as shared-chain leader' })

    const acked: Acked[] = []
    const failed: string[] = []
    const run = { stop: false }
    const writer = async (host: LanHost, i: number): Promise<void> => {
      for (let j = 0; !run.stop; j++) {
        const key = `h${i}/w${j}`
        const value = `${i}:${j}`
        try {
          const res = await host.fetch(`/chains/shared/kv/${encodeURIComponent(key)}`, { method: 'PUT', body: value, timeout: 15_000 })
          if (res.status === 200) acked.push({ key, value, height: res.json<{ height: number }>().height, host: i })
          else failed.push(`${key}: ${res.status} ${res.body}`)
        } catch (err) {
          // the killed host's own writers lose their HTTP connection
          failed.push(`${key}: ${(err as Error).message}`)
          if (host.process?.child.exitCode != null || host.process?.child.signalCode != null) return
        }
      }
    }
    const writers = hosts.map(writer)
    await waitFor(() => hosts.every((_, i) => acked.filter(a => a.host === i).length >= 5), { timeout: 60_000, message: 'every host has 5 acknowledged writes' })

    const old = hosts[0]
    await old.kill('SIGKILL')
    const survivors = hosts.slice(1)
    await waitFor(async () => {
      const leaders = await Promise.all(survivors.map(sharedLeader))
      return leaders.every(l => l != null && l === leaders[0] && l !== old.peerId)
    }, { timeout: 30_000, interval: 100, message: 'a new leader agreed by all survivors' })
    // Bully: host 1 ranks first among the survivors; it campaigns first, and
    // if a starved host 1 lost that race, it takes over from the winner
    await waitFor(async () => (await Promise.all(survivors.map(sharedLeader))).every(l => l === hosts[1].peerId),
      { timeout: 30_000, interval: 100, message: 'every survivor follows host 1, the best-ranked' })

    // writes go on through the new leader
    const before = acked.length
    await waitFor(() => survivors.every((_, k) => acked.filter(a => a.host === k + 1 && acked.indexOf(a) >= before).length >= 3), { timeout: 60_000, message: 'every survivor wrote after the failover' })
    run.stop = true
    await Promise.all(writers)

    const top = Math.max(...acked.map(a => a.height))
    await waitFor(async () => {
      const tips = await Promise.all(survivors.map(async h => (await h.status()).chains.find(c => c.id === 'shared')?.height ?? 0))
      return tips.every(t => t >= top)
    }, { timeout: 30_000, message: 'every survivor applied every acknowledged block' })

    // every acknowledged write is on every surviving host
    for (const h of survivors) {
      for (const a of acked) {
        const res = await h.fetch(`/chains/shared/kv/${encodeURIComponent(a.key)}`)
        expect(res.status, `${a.key} on host ${h.index}`).toBe(200)
        expect(res.json<{ value: string }>().value).toBe(a.value)
      }
    }
    // one block per height, the same everywhere
    const chains = await Promise.all(survivors.map(async h => await blockHashes(h, top)))
    for (const c of chains) expect(c).toEqual(chains[0])
    expect(new Set(chains[0]).size).toBe(top)
  })

  it('a follower cut off comes back without an election; the leader cut off steps down, the other two go on, and back it catches up', async () => {
    lan = await createLan({ hosts: 3 })
    const { hosts } = lan
    const [old, next, third] = hosts
    const priorities = [50, 40, 0]
    await Promise.all(hosts.map(async (h, i) => await h.start(['--priority', String(priorities[i]), '--commit-timeout', '3000'])))
    await waitFor(async () => (await Promise.all(hosts.map(sharedLeader))).every(l => l === old.peerId), {
      timeout: 60_000, interval: 250, message: 'all 3 hosts follow host 0'
    })
    const put = async (host: LanHost, key: string): Promise<{ status: number, body: string }> => {
      const res = await host.fetch(`/chains/shared/kv/${encodeURIComponent(key)}`, { method: 'PUT', body: key, timeout: 15_000 })
      return { status: res.status, body: res.body }
    }
    for (const [i, h] of hosts.entries()) expect((await put(h, `before/${i}`)).status).toBe(200)

    // a follower cut off until it gives up on the leader, then back: it asked before
    // campaigning (PreVote), nobody answered, so it raised no ballot, and it follows the
    // leader again without forcing an election (the leader keeps its ballot)
    const ballot = async (h: LanHost): Promise<string> => {
      const c = (await h.status()).consensus.find(r => r.chainId === 'shared')
      return `${c?.ballot.round ?? 0}.${c?.ballot.proposer ?? ''}`
    }
    const leaderBallot = await ballot(old)
    await third.cutOff()
    await waitFor(async () => await sharedLeader(third) === null, { timeout: 15_000, interval: 100, message: 'host 2 gives up on the leader' })
    await third.reconnect()
    await waitFor(async () => await sharedLeader(third) === old.peerId, { timeout: 30_000, interval: 100, message: 'host 2 follows host 0 again' })
    expect(await ballot(old)).toBe(leaderBallot)
    expect(await sharedLeader(old)).toBe(old.peerId)
    expect((await put(third, 'rejoined')).status).toBe(200)

    await old.cutOff()
    // it cannot hear a majority of its booth: within a few seconds it stops calling itself the leader
    await waitFor(async () => await sharedLeader(old) !== old.peerId, { timeout: 15_000, interval: 100, message: 'host 0 steps down' })
    await waitFor(async () => {
      const leaders = await Promise.all([next, third].map(sharedLeader))
      return leaders.every(l => l === next.peerId)
    }, { timeout: 15_000, interval: 100, message: 'hosts 1 and 2 follow host 1' })
    const cut = await put(old, 'cut-off')
    expect(cut.status, cut.body).toBe(503)
    for (const h of [next, third]) {
      const res = await put(h, `during/${h.index}`)
      expect(res.status, res.body).toBe(200)
    }

    // back: host 0 first follows host 1, then takes over (it ranks first: Bully),
    // and holds what the other two wrote without it
    await old.reconnect()
    await waitFor(async () => (await Promise.all(hosts.map(sharedLeader))).every(l => l === old.peerId),
      { timeout: 45_000, interval: 250, message: 'host 0 leads the three again' })
    for (const [i, h] of hosts.entries()) {
      const res = await put(h, `after/${i}`)
      expect(res.status, res.body).toBe(200)
    }
    const tips = async (): Promise<number[]> => await Promise.all(hosts.map(async h => (await h.status()).chains.find(c => c.id === 'shared')?.height ?? 0))
    const top = Math.max(...await tips())
    await waitFor(async () => (await tips()).every(t => t >= top), { timeout: 15_000, message: 'every host applied every block' })
    const chains = await Promise.all(hosts.map(async h => await blockHashes(h, top)))
    for (const c of chains) expect(c).toEqual(chains[0])
    expect((await old.fetch('/chains/shared/kv/during%2F2')).status).toBe(200)
    expect((await old.fetch('/chains/shared/kv/cut-off')).status).toBe(404)
  }, 120_000)
})
