/**
 * A nemesis on a LAN of network namespaces (in the manner of Jepsen): five
 * hosts, one `vguard-node start` process each, mDNS only. Every host writes
 * to the shared chain and to its own chain over HTTP, each write named by an
 * Idempotency-Key and sent again with it until it is acknowledged, while a
 * seeded nemesis, one fault at a time, splits the LAN (a minority from a
 * majority, the leader's side as the minority, or three ways with no majority
 * anywhere), pulls a host's cable, stops a host (SIGKILL or SIGTERM, the
 * leader among them) or all of them at once (SIGKILL), and starts them again
 * on their data. Then everything heals and the checks run:
 * - every acknowledged write is in the block its answer named (height and
 *   hash) on every host that holds that chain, and reads back;
 * - every chain has one block per height, the same on every holder;
 * - no write was committed twice (its key is in one block at most), however
 *   often it was sent;
 * - no process exited unless the nemesis stopped it, a SIGTERM stop exits 0,
 *   and no process printed a Node warning;
 * - then a vehicle leaves, and the writes it had replicated to all of its
 *   backups read back through them (read with redirect, from another host).
 *
 * The seed and the nemesis's log come with every failure; NEMESIS_SEED=<n>
 * replays a run's faults (the timing of a real LAN does not replay),
 * NEMESIS_SECONDS=<n> runs the faults longer, and NEMESIS_FAULTS=kill,cable
 * picks only those faults. Needs root: see test/utils/lan.ts.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { CAN_NETNS } from '../utils/env.ts'
import { createLan } from '../utils/lan.ts'
import type { Lan, LanHost, LanResponse } from '../utils/lan.ts'
import { waitFor } from '../utils/wait.ts'
import { prng } from '../utils/random.ts'

const SEED = Number(process.env.NEMESIS_SEED ?? Math.floor(Math.random() * 2 ** 31))
const FAULT_SECONDS = Number(process.env.NEMESIS_SECONDS ?? 40)
const ALL_FAULTS = ['minority', 'leader-minority', 'three-ways', 'cable', 'kill', 'kill-leader', 'term', 'power-cut']
const FAULTS = process.env.NEMESIS_FAULTS?.split(',') ?? ALL_FAULTS
const unknownFaults = FAULTS.filter(f => !ALL_FAULTS.includes(f))
if (unknownFaults.length > 0) throw new Error(`NEMESIS_FAULTS: unknown ${unknownFaults.join(', ')} (known: ${ALL_FAULTS.join(', ')})`)
const HOSTS = 5
/** Above the node's commit timeout and one replication round: a request still open after it is lost. */
const REQUEST_TIMEOUT = 20_000
/** How Node prints a process warning (MaxListenersExceededWarning, …), as bench/soak.ts looks for it. */
const NODE_WARNING = /^\(node:\d+\) (\[\w+\] )?\w*Warning\b/

interface Ack { host: number, chainId: string, key: string, value: string, height: number, hash: string, replicated: boolean }
interface BlockJson { height: number, hash: string, pruned: boolean, transactions?: Array<{ key: string }> }

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

async function leaderOf (host: LanHost): Promise<string | null> {
  try {
    return (await host.status()).shared.leader
  } catch {
    return null
  }
}

/** Every block of a chain this host holds, up to its tip, with transactions. */
async function blocksOf (host: LanHost, chainId: string): Promise<BlockJson[]> {
  const blocks: BlockJson[] = []
  for (let from: number | null = 1; from != null;) {
    const res = await host.fetch(`/chains/${encodeURIComponent(chainId)}/blocks?from=${from}`, { timeout: 20_000 })
    expect(res.status, `blocks of ${chainId} on host ${host.index}: ${res.body}`).toBe(200)
    const page = res.json<{ blocks: BlockJson[], next: number | null }>()
    blocks.push(...page.blocks)
    from = page.next
  }
  return blocks
}

describe.skipIf(!CAN_NETNS)(`nemesis on a LAN of network namespaces (NEMESIS_SEED=${SEED})`, () => {
  let lan: Lan | undefined
  afterEach(async () => {
    await lan?.destroy()
    lan = undefined
  })

  it('partitions, cut cables, kills and restarts: nothing acknowledged is lost, forked or committed twice', async () => {
    const random = prng(SEED)
    const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]
    const between = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo))
    const journal: string[] = []
    const started = Date.now()
    const note = (line: string): void => { journal.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${line}`) }
    const failures: string[] = []
    const context = (): string => `NEMESIS_SEED=${SEED}\n${journal.join('\n')}`

    lan = await createLan({ hosts: HOSTS })
    const { hosts } = lan
    const theLan = lan
    const args = ['--commit-timeout', '3000']
    /** Hosts the nemesis is stopping: their exit is expected. */
    const stopping = new Set<number>()
    const start = async (h: LanHost): Promise<void> => {
      const proc = await h.start(args)
      void proc.exited.then((code) => {
        if (!stopping.has(h.index)) failures.push(`host ${h.index} exited on its own (${String(code)}):\n${proc.output.slice(-20).join('\n')}`)
      })
    }
    const warnings = (h: LanHost): string[] => h.process?.output.filter(line => NODE_WARNING.test(line)) ?? []
    const stop = async (h: LanHost, signal: NodeJS.Signals): Promise<void> => {
      stopping.add(h.index)
      const warned = warnings(h)
      if (warned.length > 0) failures.push(`host ${h.index} warned: ${warned.join('; ')}`)
      const code = await h.kill(signal)
      if (signal === 'SIGTERM' && code !== 0) failures.push(`host ${h.index} exited ${String(code)} on SIGTERM:\n${h.process?.output.slice(-20).join('\n') ?? ''}`)
      note(`host ${h.index} stopped (${signal}, exit ${String(code)})`)
    }
    const restart = async (h: LanHost): Promise<void> => {
      await start(h)
      stopping.delete(h.index)
      note(`host ${h.index} started again`)
    }

    await Promise.all(hosts.map(start))
    const ids = hosts.map(h => h.peerId)
    await waitFor(async () => {
      const leaders = await Promise.all(hosts.map(leaderOf))
      return leaders[0] != null && leaders.every(l => l === leaders[0])
    }, { timeout: 60_000, interval: 250, message: 'all hosts follow one shared-chain leader' })
    note(`leader: host ${ids.indexOf((await leaderOf(hosts[0])) ?? '')}`)

    // writers: one per host, a shared write after every two of its own
    const acks: Ack[] = []
    const run = { over: false }
    const sent = { writes: 0, attempts: 0 }
    /** Each writer's last answer that was not an acknowledgement, while it retries (for a liveness failure). */
    const lastRefusal = new Map<number, string>()
    const writer = async (h: LanHost): Promise<void> => {
      for (let j = 0; !run.over; j++) {
        const chainId = j % 3 === 2 ? 'shared' : ids[h.index]
        const key = `h${h.index}/${chainId === 'shared' ? 's' : 'o'}/${j}`
        const value = `${key}@${SEED}`
        sent.writes++
        // the same key and body until acknowledged: a write whose answer was lost must not commit twice
        while (!run.over) {
          sent.attempts++
          try {
            const res = await h.fetch(`/chains/${encodeURIComponent(chainId)}/kv/${encodeURIComponent(key)}`, {
              method: 'PUT', body: value, headers: { 'Idempotency-Key': key }, timeout: REQUEST_TIMEOUT
            })
            if (res.status === 200) {
              const answer = res.json<{ chainId: string, height: number, hash: string, replication?: { state: string } }>()
              acks.push({ host: h.index, chainId, key, value, height: answer.height, hash: answer.hash, replicated: answer.replication?.state === 'complete' })
              lastRefusal.delete(h.index)
              break
            }
            lastRefusal.set(h.index, `${key}: HTTP ${res.status} ${res.body.slice(0, 400)}`)
            // 503 (no quorum, no leader, proposer unreachable), 502: retried; anything else is a bug
            if (res.status !== 503 && res.status !== 502) failures.push(`PUT ${key} on host ${h.index}: HTTP ${res.status} ${res.body}`)
            // an attempt proposed before the node caught up from a snapshot, whose fate it cannot tell: its
            // retries are refused for as long as write ids are remembered (docs/consensus.md), and the answer
            // says to read the key. Never acknowledged, it is not checked as kept; it must not commit twice,
            // which the block check below still asserts. The writer goes on with its next key.
            if (res.status === 503 && res.body.includes('read the key to see')) {
              note(`host ${h.index}: ${key} of unknown fate (caught up from a snapshot), left for the next key`)
              break
            }
          } catch (err) {
            // the host is stopped, or the request timed out: retried once the host answers
            lastRefusal.set(h.index, `${key}: ${(err as Error).message}`)
          }
          await sleep(100)
        }
      }
    }
    const writers = hosts.map(writer)
    await waitFor(() => acks.length >= HOSTS * 3, { timeout: 60_000, message: 'writes acknowledged before the first fault' })

    // the nemesis: one fault at a time, each undone before the next
    const indexes = hosts.map(h => h.index)
    const leaderIndex = async (): Promise<number> => {
      const leaders = await Promise.all(hosts.map(leaderOf))
      const id = leaders.find(l => l != null)
      return id == null ? pick(indexes) : Math.max(0, ids.indexOf(id))
    }
    const faultsUntil = Date.now() + FAULT_SECONDS * 1000
    while (Date.now() < faultsUntil && failures.length === 0) {
      const fault = pick(FAULTS)
      const hold = between(1_500, 6_000)
      if (fault === 'minority' || fault === 'leader-minority' || fault === 'three-ways') {
        const shuffled = [...indexes].sort(() => random() - 0.5)
        if (fault === 'leader-minority') {
          const leader = await leaderIndex()
          shuffled.splice(shuffled.indexOf(leader), 1)
          shuffled.unshift(leader)
        }
        const groups = fault === 'three-ways' ? [shuffled.slice(0, 1), shuffled.slice(1, 3)] : [shuffled.slice(0, 2)]
        await theLan.partition(groups)
        note(`${fault}: ${groups.map(g => `{${g.join(',')}}`).join(' ')} apart from the rest, ${hold} ms`)
        await sleep(hold)
        await theLan.heal()
        note('healed')
      } else if (fault === 'cable') {
        const h = hosts[pick(indexes)]
        await h.cutOff()
        note(`host ${h.index} cable pulled, ${hold} ms`)
        await sleep(hold)
        await h.reconnect()
        note(`host ${h.index} cable back`)
      } else if (fault === 'power-cut') {
        // every host at once: what each acknowledged must come back from its own disk
        await Promise.all(hosts.map(async h => { await stop(h, 'SIGKILL') }))
        await sleep(hold)
        await Promise.all(hosts.map(restart))
      } else {
        const h = hosts[fault === 'kill-leader' ? await leaderIndex() : pick(indexes)]
        await stop(h, fault === 'term' ? 'SIGTERM' : 'SIGKILL')
        await sleep(hold)
        await restart(h)
      }
      // some quiet between faults, so that writes go through now and then
      await sleep(between(1_000, 3_000))
    }
    note('faults over')

    // healed: one leader again, and every host's writer gets a write of each kind through
    const acked = acks.length
    await waitFor(async () => {
      const leaders = await Promise.all(hosts.map(leaderOf))
      return leaders[0] != null && leaders.every(l => l === leaders[0])
    }, { timeout: 60_000, interval: 250, message: `all hosts follow one leader after the faults\n${context()}` })
    const wrote = (h: LanHost, kind: string): boolean => acks.slice(acked).some(a => a.host === h.index && a.key.includes(`/${kind}/`))
    await waitFor(() => hosts.every(h => ['s', 'o'].every(kind => wrote(h, kind))), {
      timeout: 60_000,
      message: `every host writes to both chains after the faults\n${context()}`,
      // who waits for which chain, what it was last told, and where its consensus stands
      state: async () => await Promise.all(hosts.map(async h => ({
        host: h.index,
        waiting: ['s', 'o'].filter(kind => !wrote(h, kind)).map(kind => kind === 's' ? 'shared' : 'own'),
        lastRefusal: lastRefusal.get(h.index),
        consensus: await h.status().then(st => st.consensus.filter(c => c.kind !== 'member').map(c => ({ chain: c.chainId === ids[h.index] ? 'own' : c.chainId, kind: c.kind, role: c.role, leader: c.leader, booth: c.booth, decided: c.decided, pending: c.pending, outstanding: c.outstanding, failed: c.failed })), (err: Error) => err.message)
      })))
    })
    run.over = true
    await Promise.all(writers)
    note(`writers done: ${acks.length} acknowledged of ${sent.writes} writes, ${sent.attempts} requests`)
    expect(failures, context()).toEqual([])

    // every holder of a chain has caught up with its proposer's tip (the shared chain: the highest)
    const chainIds = ['shared', ...ids]
    const holdersOf = async (chainId: string): Promise<Array<{ host: LanHost, height: number }>> => {
      const statuses = await Promise.all(hosts.map(async h => await h.status()))
      return statuses.flatMap((s, i) => s.chains.filter(c => c.id === chainId).map(c => ({ host: hosts[i], height: c.height })))
    }
    const top = Math.max(...acks.filter(a => a.chainId === 'shared').map(a => a.height))
    await waitFor(async () => (await holdersOf('shared')).filter(h => h.height >= top).length === HOSTS, {
      timeout: 60_000, message: `every host applies the shared chain up to ${top}\n${context()}`
    })

    for (const chainId of chainIds) {
      const holders = await holdersOf(chainId)
      const owner = chainId === 'shared' ? undefined : hosts[ids.indexOf(chainId)]
      expect(owner == null || holders.some(h => h.host === owner), `host ${String(owner?.index)} holds its own chain\n${context()}`).toBe(true)
      const copies = await Promise.all(holders.map(async h => ({ host: h.host.index, blocks: await blocksOf(h.host, chainId) })))
      // one block per height, the same on every holder (a holder may lag: its copy is a prefix)
      const longest = copies.reduce((a, b) => (b.blocks.length > a.blocks.length ? b : a))
      for (const copy of copies) {
        copy.blocks.forEach((b, i) => {
          expect(b.height, `${chainId} on host ${copy.host}: heights in order`).toBe(i + 1)
          expect(b.hash, `${chainId} at ${b.height}: host ${copy.host} against host ${longest.host}\n${context()}`).toBe(longest.blocks[i].hash)
        })
      }
      // every acknowledged write is in the block its answer named, on every holder that reached it
      const proposerCopy = owner == null ? longest : copies.find(c => c.host === owner.index) ?? longest
      for (const ack of acks.filter(a => a.chainId === chainId)) {
        const block = proposerCopy.blocks[ack.height - 1]
        expect(block?.hash, `${ack.key} acknowledged at ${ack.height} (${ack.hash}) on host ${proposerCopy.host}\n${context()}`).toBe(ack.hash)
        if (block.transactions != null) expect(block.transactions.map(t => t.key), `${ack.key} in its block`).toContain(ack.key)
      }
      // no write twice: each key is in one block at most (payloads pruned on one holder are read from another)
      const keysAt = new Map<number, string[]>()
      for (const copy of copies) {
        for (const b of copy.blocks) if (b.transactions != null) keysAt.set(b.height, b.transactions.map(t => t.key))
      }
      const seen = new Map<string, number>()
      for (const [height, keys] of keysAt) {
        for (const key of keys) {
          expect(seen.get(key), `${key} committed at ${String(seen.get(key))} and again at ${height} on ${chainId}\n${context()}`).toBeUndefined()
          seen.set(key, height)
        }
      }
    }

    // and it reads back: own chains from their proposer, the shared chain through its leader.
    // A 503 (the answer is documented as retryable) is asked once more a second later and
    // journaled: what this checks is that nothing acknowledged is lost, and one run in 24
    // saw a leader read cut by a stream reset seconds after the last heal (docs/consensus.md)
    for (const ack of acks) {
      const reader = ack.chainId === 'shared' ? hosts[ack.host] : hosts[ids.indexOf(ack.chainId)]
      const query = ack.chainId === 'shared' ? '?consistency=leader' : ''
      const read = async (): Promise<LanResponse> => await reader.fetch(`/chains/${encodeURIComponent(ack.chainId)}/kv/${encodeURIComponent(ack.key)}${query}`)
      let res = await read()
      if (res.status === 503) {
        // what the reader and the leader printed last (run with DEBUG=vguard:read,vguard:peering,… for more)
        const leader = hosts[ids.indexOf((await leaderOf(reader)) ?? '')]
        const tail = (h: LanHost | undefined): string => h?.process?.output.slice(-10).map(l => `    host ${h.index}: ${l}`).join('\n') ?? ''
        note(`read-back of ${ack.key} on host ${reader.index} answered 503, asked again: ${res.body}\n${tail(reader)}\n${tail(leader)}`)
        await sleep(1_000)
        res = await read()
      }
      expect(res.status, `${ack.key} on host ${reader.index}: ${res.body}\n${context()}`).toBe(200)
      expect(res.json<{ value: string }>().value).toBe(ack.value)
    }
    const warned = hosts.flatMap(h => warnings(h).map(w => `host ${h.index}: ${w}`))
    expect(warned, context()).toEqual([])

    // a vehicle leaves: what it wrote and had replicated to all its backups reads back through them
    const gone = hosts[pick(indexes)]
    await stop(gone, 'SIGTERM')
    const reader = hosts[(gone.index + 1) % HOSTS]
    const replicated = acks.filter(a => a.chainId === ids[gone.index] && a.replicated)
    expect(replicated.length, `host ${gone.index} has writes replicated to all its backups`).toBeGreaterThan(0)
    const sample = replicated.filter((_, i) => i % Math.ceil(replicated.length / 40) === 0)
    for (const ack of sample) {
      const res = await reader.fetch(`/chains/${encodeURIComponent(ack.chainId)}/read/${encodeURIComponent(ack.key)}`, { timeout: 20_000 })
      expect(res.status, `${ack.key} of host ${gone.index} (gone) through its backups from host ${reader.index}: ${res.body}\n${context()}`).toBe(200)
      expect(res.json<{ value: string }>().value).toBe(ack.value)
    }
    note(`host ${gone.index} gone: ${sample.length} of its ${replicated.length} replicated writes read back through its backups`)
    console.log(`nemesis NEMESIS_SEED=${SEED}: ${acks.length} writes acknowledged, ${sent.attempts} requests\n${journal.join('\n')}`)
  }, 600_000)
})
