/**
 * Booth consensus (issue 4):
 * - commit throughput (txs/s) and latency (p50/p99) of a vehicle's own chain
 *   with a booth of 4, 1 KiB transactions, at 1, 100 and 1,000 transactions
 *   per write (closed loop, enough writers to keep the pipeline full), and at
 *   a fixed offered load of 1,000 txs/s (open loop, one write per ms);
 *   "commit" = decided by a majority of the booth and applied to the chain
 *   store; the 1k/s run also reports writes acknowledged after replication to
 *   k = 2 backups (what node.append waits for by default);
 * - the raw request/response round trip over one long-lived libp2p stream
 *   between the same nodes, measured in the same run: commit latency reads
 *   as a multiple of it;
 * - the latency of one write at a time (nothing else in flight): the floor a
 *   commit has on this machine, which no batching policy goes below;
 * - at the offered load, what a commit round costs: slots decided per second
 *   and CPU time per slot and per transaction summed over the four processes
 *   (on two cores, four nodes share the CPU: the rounds' cost is what latency
 *   is made of);
 * - time to elect a new shared-chain leader after the leader's process is
 *   killed with SIGKILL (5 processes on loopback).
 *
 * Topology: the proposer runs in this process (as an embedding application
 * would run it, writers and all); its three booth members are separate
 * `vguard-node start` processes on loopback. Every decision waits for fsyncs
 * (the proposer's and the acceptors' accepted values): see
 * docs/benchmarks.md.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { PeerId } from '@libp2p/interface'
import { createVGuardNode } from '../src/node/index.ts'
import type { VGuardNode } from '../src/node/index.ts'
import type { TransactionInput } from '../src/chain/index.ts'
import { openDatabase } from '../src/storage/database.ts'
import type { NodeProcess } from '../src/swarm/process.ts'
import type { StatusBody } from '../src/http/status.ts'
import { percentile, withRatio } from './types.ts'
import { benchDir, cpuMs, spawnNodes, stopNodes } from './support.ts'
import { spawnVehicle } from './vehicles.ts'
import type { Benchmark, BenchResult } from './types.ts'

const KIB = 1024
const BENCH = 'consensus'

/** Closed-loop writers per batch size: enough to keep 4 slots in flight with batches to spare. */
const WRITERS: Record<number, number> = { 1: 256, 100: 16, 1_000: 4 }
/** Transactions per measured run, per batch size. */
const TOTAL: Record<number, number> = { 1: 20_000, 100: 40_000, 1_000: 40_000 }

function transactions (n: number, tag: string): TransactionInput[] {
  return Array.from({ length: n }, (_, i) => ({ key: `bench/${tag}/${i}`, value: randomBytes(KIB) }))
}

/** Round trips over ONE stream: libp2p's ping protocol echoes 32 bytes for as long as the stream lives. */
async function streamRoundTrips (from: VGuardNode, to: PeerId, samples: number): Promise<number[]> {
  const stream = await from.libp2p.dialProtocol(to, '/ipfs/ping/1.0.0')
  const times: number[] = []
  let waiting: (() => void) | undefined
  stream.addEventListener('message', () => { waiting?.() })
  const payload = new Uint8Array(32)
  for (let i = 0; i < samples + 200; i++) {
    const t = performance.now()
    await new Promise<void>((resolve) => {
      waiting = resolve
      stream.send(payload)
    })
    if (i >= 200) times.push(performance.now() - t)
  }
  await stream.close()
  return times.sort((a, b) => a - b)
}

/** The disk's floor: a synced 1 KiB LevelDB put (each decision waits for at least two, in sequence). */
async function syncedPut (): Promise<number[]> {
  const dir = await benchDir('vguard-bench-fsync-')
  const db = await openDatabase(dir)
  try {
    const times: number[] = []
    const value = randomBytes(KIB)
    for (let i = 0; i < 300; i++) {
      const t = performance.now()
      await db.db.put(new TextEncoder().encode(`k${i}`), value, { sync: true } as Record<string, unknown>)
      times.push(performance.now() - t)
    }
    return times.sort((a, b) => a - b)
  } finally {
    await db.close()
    await rm(dir, { recursive: true, force: true })
  }
}

async function closedLoop (node: VGuardNode, batch: number, report: (r: BenchResult) => void, rtt: number): Promise<void> {
  const writers = WRITERS[batch]
  const total = TOTAL[batch]
  const perWriter = Math.ceil(total / batch / writers)
  // prepare the payloads first: generating 40 MiB of random bytes is not the node's work
  const work = Array.from({ length: writers }, (_, w) => Array.from({ length: perWriter }, (_, j) => transactions(batch, `b${batch}/${w}/${j}`)))
  const latencies: number[] = []
  const heights = new Set<number>()
  const started = performance.now()
  await Promise.all(work.map(async (writes) => {
    for (const txs of writes) {
      const t = performance.now()
      const r = await node.append(txs, { waitForReplication: false, timeout: 60_000 })
      latencies.push(performance.now() - t)
      heights.add(r.height)
    }
  }))
  const seconds = (performance.now() - started) / 1000
  const txs = writers * perWriter * batch
  latencies.sort((a, b) => a - b)
  const label = `${batch} tx/write, ${writers} writers`
  report({ bench: BENCH, figure: `commit throughput, booth of 4, 1 KiB txs, ${label}`, value: txs / seconds, unit: 'txs/s', target: '≥ 20k txs/s with batching' })
  report({ bench: BENCH, figure: `  blocks: ${heights.size} for ${txs} txs (${(txs / heights.size).toFixed(0)} txs/block)`, value: heights.size, unit: 'blocks' })
  report(withRatio({ bench: BENCH, figure: '  commit latency p50 (per write)', value: percentile(latencies, 50), unit: 'ms', baseline: rtt }))
  report(withRatio({ bench: BENCH, figure: '  commit latency p99', value: percentile(latencies, 99), unit: 'ms', baseline: rtt }))
}

async function cpuOf (pids: number[]): Promise<number | undefined> {
  const all = await Promise.all(pids.map(cpuMs))
  return all.some(c => c == null) ? undefined : all.reduce<number>((sum, c) => sum + (c ?? 0), 0)
}

function decidedSlots (node: VGuardNode): number {
  return node.consensus.status().find(r => r.kind === 'own')?.decided ?? 0
}

/** One write at a time for a few seconds: nothing queues behind anything, so this is a commit's own latency. */
async function oneAtATime (node: VGuardNode, report: (r: BenchResult) => void, rtt: number): Promise<void> {
  const latencies: number[] = []
  const started = performance.now()
  for (let i = 0; performance.now() - started < 3_000; i++) {
    const [tx] = transactions(1, `serial/${i}`)
    const t = performance.now()
    await node.append([tx], { waitForReplication: false, timeout: 60_000 })
    latencies.push(performance.now() - t)
  }
  latencies.sort((a, b) => a - b)
  report(withRatio({ bench: BENCH, figure: 'one write at a time (1 KiB): commit latency p50', value: percentile(latencies, 50), unit: 'ms', baseline: rtt }))
  report(withRatio({ bench: BENCH, figure: '  commit latency p99', value: percentile(latencies, 99), unit: 'ms', baseline: rtt }))
}

async function openLoop (node: VGuardNode, report: (r: BenchResult) => void, rtt: number, replicated: boolean, pids: number[] = []): Promise<void> {
  const seconds = 5
  const rate = 1_000
  const writes = transactions(seconds * rate, `open/${String(replicated)}`)
  const latencies: number[] = []
  const pending: Array<Promise<void>> = []
  const cpuBefore = await cpuOf(pids)
  const slotsBefore = decidedSlots(node)
  const started = performance.now()
  let failed = 0
  for (let i = 0; i < writes.length; i++) {
    // one write per ms of the schedule; a late timer sends the ones due at once
    const due = started + i * (1000 / rate)
    const wait = due - performance.now()
    if (wait > 1) await new Promise(resolve => setTimeout(resolve, wait))
    const t = performance.now()
    pending.push(node.append([writes[i]], { waitForReplication: replicated, timeout: 60_000 })
      .then(() => { latencies.push(performance.now() - t) }, () => { failed++ }))
  }
  await Promise.all(pending)
  const elapsed = (performance.now() - started) / 1000
  const slots = decidedSlots(node) - slotsBefore
  const cpuAfter = await cpuOf(pids)
  latencies.sort((a, b) => a - b)
  const what = replicated ? 'acknowledged after replication to k = 2' : 'commit'
  report({ bench: BENCH, figure: `offered 1,000 txs/s for ${seconds} s (1 KiB, 1 tx/write): achieved`, value: latencies.length / elapsed, unit: 'txs/s' })
  report(withRatio({ bench: BENCH, figure: `  ${what} latency p50`, value: percentile(latencies, 50), unit: 'ms', baseline: rtt, target: replicated ? undefined : '≤ 3 ms' }))
  report(withRatio({ bench: BENCH, figure: `  ${what} latency p99`, value: percentile(latencies, 99), unit: 'ms', baseline: rtt, target: replicated ? undefined : '≤ 15 ms' }))
  if (failed > 0) report({ bench: BENCH, figure: '  writes failed', value: failed, unit: 'writes' })
  if (pids.length > 0 && slots > 0) {
    report({ bench: BENCH, figure: '  slots decided per second (blocks, batched writes)', value: slots / elapsed, unit: 'slots/s' })
    if (cpuBefore != null && cpuAfter != null) {
      report({ bench: BENCH, figure: `  CPU per slot, ${pids.length} processes (the bench's writer included)`, value: (cpuAfter - cpuBefore) / slots, unit: 'ms' })
      // batching adapts to a slower proposer (fewer, larger slots), so CPU per slot can rise with no more work done: per transaction it does not
      if (latencies.length > 0) report({ bench: BENCH, figure: '  CPU per transaction acknowledged, same processes', value: (cpuAfter - cpuBefore) / latencies.length, unit: 'ms' })
      report({ bench: BENCH, figure: '  CPU used of the machine\'s cores', value: (cpuAfter - cpuBefore) / 1000 / elapsed, unit: 'cores' })
    }
  }
}

async function boothOfFour (report: (r: BenchResult) => void): Promise<void> {
  const root = await benchDir('vguard-bench-consensus-')
  const network = `bench-consensus-${process.pid}`
  const members: NodeProcess[] = []
  let a: VGuardNode | undefined
  try {
    // k = 0 for the commit figures: no replication rounds compete with consensus on this machine
    a = await createVGuardNode({ dataDir: join(root, 'proposer'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, network, kBackups: 0, commitTimeout: 60_000 })
    await a.start()
    const bootstrap = a.multiaddrs[0].toString()
    members.push(...await spawnNodes([1, 2, 3].map(i => ({
      args: ['--data-dir', join(root, `m${i}`), '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', '--network', network, '--no-mdns', '--bootstrap', bootstrap]
    }))))
    const proposer = a
    await until(async () => proposer.peers().length === 3, 30_000, 'the proposer connected to its 3 booth members')
    const b = members[0]
    const rtts = await streamRoundTrips(a, (a.libp2p.getPeers().find(p => p.toString() === b.peerId)) as PeerId, 2_000)
    const rtt = percentile(rtts, 50)
    report({ bench: BENCH, figure: 'raw request/response over one libp2p stream, p50 (baseline)', value: rtt * 1000, unit: 'µs' })
    report({ bench: BENCH, figure: 'raw request/response over one libp2p stream, p99', value: percentile(rtts, 99) * 1000, unit: 'µs' })
    const fsyncs = await syncedPut()
    report({ bench: BENCH, figure: 'synced 1 KiB LevelDB put, p50 (the disk\'s floor)', value: percentile(fsyncs, 50), unit: 'ms' })
    report({ bench: BENCH, figure: 'synced 1 KiB LevelDB put, p99', value: percentile(fsyncs, 99), unit: 'ms' })
    // warm up: the first write forms the booth (a booth change, decided by the proposer alone)
    for (let i = 0; i < 20; i++) await a.append(transactions(10, `warm/${i}`), { waitForReplication: false })
    await oneAtATime(a, report, rtt)
    for (const batch of [1, 100, 1_000]) await closedLoop(a, batch, report, rtt)
    await openLoop(a, report, rtt, false, [process.pid, ...members.map(m => m.child.pid ?? -1)])
    await stopNodes([a])
    // a fresh vehicle (an empty chain: nothing old to ship) with the same three members,
    // replicating to k = 2 backups after its commits
    a = await createVGuardNode({ dataDir: join(root, 'proposer-2'), listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, network, kBackups: 2, commitTimeout: 60_000, bootstrap: [members[0].addresses[0]] })
    await a.start()
    const second = a
    await until(async () => second.peers().length === 3, 30_000, 'the second proposer connected to the members')
    for (let i = 0; i < 20; i++) await a.append(transactions(1, `warm2/${i}`))
    await openLoop(a, report, rtt, true)
  } finally {
    await stopNodes([a])
    await Promise.all(members.map(async p => await p.stop('SIGKILL')))
    await rm(root, { recursive: true, force: true })
  }
}

async function leaderOf (p: NodeProcess): Promise<string | null> {
  try {
    const res = await fetch(`${p.httpUrl}/status`, { signal: AbortSignal.timeout(1_000) })
    return ((await res.json()) as StatusBody).shared.leader
  } catch {
    return null
  }
}

async function boothOf (p: NodeProcess): Promise<string[] | null> {
  try {
    const res = await fetch(`${p.httpUrl}/status`, { signal: AbortSignal.timeout(1_000) })
    return ((await res.json()) as StatusBody).consensus.find(c => c.kind === 'shared')?.booth ?? null
  } catch {
    return null
  }
}

async function until (cond: () => Promise<boolean>, timeout: number, what: string): Promise<void> {
  const deadline = Date.now() + timeout
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 20))
  }
}

async function election (report: (r: BenchResult) => void): Promise<void> {
  const root = await benchDir('vguard-bench-election-')
  const network = `bench-election-${process.pid}`
  const processes: NodeProcess[] = []
  try {
    const args = (i: number): string[] => ['--data-dir', join(root, `v${i}`), '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', '--network', network, '--no-mdns', '--priority', String(10 - i)]
    processes.push(await spawnVehicle({ args: args(0) }))
    processes.push(...await spawnNodes([1, 2, 3, 4].map(i => ({ args: [...args(i), '--bootstrap', processes[0].addresses[0]] }))))
    const times: number[] = []
    const killed: string[] = []
    // two rounds: with a booth of 4 out of 5 vehicles, a third leader lost would leave no majority
    for (let round = 0; round < 2; round++) {
      const live = processes.filter(p => p.child.exitCode == null && p.child.signalCode == null)
      await until(async () => {
        const leaders = await Promise.all(live.map(leaderOf))
        return leaders[0] != null && leaders.every(l => l === leaders[0])
      }, 60_000, 'an agreed shared-chain leader')
      const leaderId = await leaderOf(live[0])
      const leader = live.find(p => p.peerId === leaderId) as NodeProcess
      // a write, so the new leader has something to recover
      await fetch(`${live[0].httpUrl}/chains/shared/kv/before-${round}`, { method: 'PUT', body: 'x', signal: AbortSignal.timeout(10_000) })
      const at = performance.now()
      await leader.stop('SIGKILL')
      killed.push(leader.peerId)
      const survivors = live.filter(p => p !== leader)
      await until(async () => {
        const leaders = await Promise.all(survivors.map(leaderOf))
        return leaders[0] != null && leaders[0] !== leaderId && leaders.every(l => l === leaders[0])
      }, 30_000, 'a new leader')
      times.push(performance.now() - at)
      // the new leader gives the dead one's booth seat to the fifth vehicle before the next round
      await until(async () => {
        const booths = await Promise.all(survivors.map(async p => await boothOf(p)))
        return booths.every(b => b != null && b.length > 0 && !b.some(m => killed.includes(m) && survivors.length >= 4))
      }, 30_000, 'the booth without the dead leader')
    }
    for (const [i, t] of times.entries()) {
      report({ bench: BENCH, figure: `new shared-chain leader after kill -9 (5 processes, round ${i + 1})`, value: t / 1000, unit: 's', target: '≤ 3 s' })
    }
  } finally {
    await Promise.all(processes.map(async p => await p.stop('SIGKILL')))
    await rm(root, { recursive: true, force: true })
  }
}

export const benchmarks: Benchmark[] = [{
  name: 'consensus',
  description: 'booth of 4: commit throughput and latency (1 KiB txs, 1/100/1,000 per write, 1k txs/s offered) vs one-stream round trip; shared-chain leader election after kill -9',
  run: async (report) => {
    await boothOfFour(report)
    await election(report)
  }
}]
