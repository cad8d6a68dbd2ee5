/**
 * Discovery: how long 10 vehicle processes take to all connect to each other,
 * by mDNS (inside the private namespace) and by bootstrap over loopback, and
 * the idle resident memory and CPU of a node.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnNode } from '../src/swarm/process.ts'
import type { NodeProcess } from '../src/swarm/process.ts'
import type { Benchmark, BenchResult } from './types.ts'
import { cpuMs } from './support.ts'

const VEHICLES = 10

async function peersOf (v: NodeProcess): Promise<number> {
  try {
    const res = await fetch(`${v.httpUrl}/status`, { signal: AbortSignal.timeout(2_000) })
    return ((await res.json()) as { peers: unknown[] }).peers.length
  } catch {
    return -1
  }
}

async function waitFullMesh (vehicles: NodeProcess[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const counts = await Promise.all(vehicles.map(peersOf))
    if (counts.every(c => c === vehicles.length - 1)) return
    await new Promise(resolve => setTimeout(resolve, 100))
  }
  throw new Error(`not all ${vehicles.length} vehicles connected within ${timeoutMs} ms`)
}

async function rssMiB (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const kb = Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1] ?? NaN)
  return kb / 1024
}

/** Seconds over which an idle swarm's CPU is counted. */
const IDLE_SECONDS = 10

/**
 * CPU an idle swarm spends: every vehicle writes once (so each runs its own
 * chain with a booth, as vehicles on the road do), then nobody writes, and
 * each process's CPU time is counted for IDLE_SECONDS. What remains is the
 * upkeep: heartbeats, liveness pings, gossip. Ten vehicles on two cores are
 * what "a laptop hosts dozens of vehicles" runs into first.
 */
async function idleCpu (vehicles: NodeProcess[], report: (r: BenchResult) => void): Promise<void> {
  await Promise.all(vehicles.map(async v => {
    const res = await fetch(`${v.httpUrl}/chains/${v.peerId}/kv/idle`, { method: 'PUT', body: 'x', signal: AbortSignal.timeout(10_000) })
    if (!res.ok) throw new Error(`write to ${v.peerId} failed: ${res.status}`)
  }))
  // the writes' booth set-up and commits are not upkeep
  await new Promise(resolve => setTimeout(resolve, 3_000))
  const pids = vehicles.map(v => v.child.pid ?? 0)
  const before = await Promise.all(pids.map(cpuMs))
  await new Promise(resolve => setTimeout(resolve, IDLE_SECONDS * 1000))
  const after = await Promise.all(pids.map(cpuMs))
  const perSecond = after.map((a, i) => ((a ?? NaN) - (before[i] ?? NaN)) / IDLE_SECONDS)
  report({ bench: 'discovery', figure: `idle CPU per node, mean of ${VEHICLES} (each has written once)`, value: perSecond.reduce((a, b) => a + b, 0) / perSecond.length, unit: 'ms/s' })
  report({ bench: 'discovery', figure: 'idle CPU per node, max', value: Math.max(...perSecond), unit: 'ms/s' })
}

async function swarm (mode: 'mdns' | 'bootstrap', report: (r: BenchResult) => void): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'vguard-bench-'))
  const network = `bench-${process.pid}-${mode}`
  const vehicles: NodeProcess[] = []
  const base = (i: number): string[] => ['--data-dir', join(root, `v${i}`), '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', '--network', network, '--mdns-interval', '5000']
  try {
    const started = performance.now()
    if (mode === 'mdns') {
      vehicles.push(...await Promise.all(Array.from({ length: VEHICLES }, async (_, i) => await spawnNode({ args: base(i) }))))
    } else {
      vehicles.push(await spawnNode({ args: [...base(0), '--no-mdns'] }))
      const first = vehicles[0].addresses[0]
      vehicles.push(...await Promise.all(Array.from({ length: VEHICLES - 1 }, async (_, i) => await spawnNode({ args: [...base(i + 1), '--no-mdns', '--bootstrap', first] }))))
    }
    const allReady = performance.now()
    await waitFullMesh(vehicles, 30_000)
    const meshed = performance.now()
    const how = mode === 'mdns' ? 'mDNS in private netns' : 'bootstrap to one + peer exchange, loopback'
    report({ bench: 'discovery', figure: `${VEHICLES} vehicles all connected, from spawn (${how})`, value: (meshed - started) / 1000, unit: 's', target: '≤ 5 s' })
    report({ bench: 'discovery', figure: `  of which after the last one was ready (${mode})`, value: (meshed - allReady) / 1000, unit: 's' })
    if (mode === 'bootstrap') {
      // let start-up garbage settle, then read resident memory
      await new Promise(resolve => setTimeout(resolve, 3_000))
      const rss = await Promise.all(vehicles.map(async v => await rssMiB(v.child.pid ?? 0)))
      report({ bench: 'discovery', figure: `idle RSS per node, mean of ${VEHICLES} (connected to ${VEHICLES - 1} peers)`, value: rss.reduce((a, b) => a + b, 0) / rss.length, unit: 'MiB', target: '≤ 120 MiB' })
      report({ bench: 'discovery', figure: 'idle RSS per node, max', value: Math.max(...rss), unit: 'MiB', target: '≤ 120 MiB' })
      await idleCpu(vehicles, report)
    }
  } finally {
    await Promise.all(vehicles.map(async v => await v.stop()))
    await rm(root, { recursive: true, force: true })
  }
}

export const benchmarks: Benchmark[] = [{
  name: 'discovery',
  description: 'time for 10 vehicles to all discover and connect (mDNS in netns, bootstrap on loopback); idle RSS and CPU per node',
  run: async (report) => {
    if (process.env.VGUARD_BENCH_IN_NETNS === '1') await swarm('mdns', report)
    else report({ bench: 'discovery', figure: 'mDNS in private netns: skipped (needs root on Linux)', value: NaN, unit: '' })
    await swarm('bootstrap', report)
  }
}]
