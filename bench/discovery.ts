/**
 * Discovery: how long 10 vehicle processes take to all connect to each other,
 * by mDNS (inside the private namespace) and by bootstrap over loopback, and
 * the idle resident memory and CPU of a node. `dozens`: the same for 30
 * vehicles bootstrapping to one ("a laptop should host dozens of vehicles").
 */
import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { NodeProcess } from '../src/swarm/process.ts'
import type { Benchmark, BenchResult } from './types.ts'
import { benchDir, cpuMs, spawnNodes } from './support.ts'
import { spawnVehicle, stopEach } from './vehicles.ts'

const VEHICLES = 10

async function peersOf (v: NodeProcess): Promise<number> {
  try {
    const res = await fetch(`${v.httpUrl}/status`, { signal: AbortSignal.timeout(2_000) })
    return ((await res.json()) as { peers: unknown[] }).peers.length
  } catch {
    return -1
  }
}

/** Waits for every vehicle to count all others members; the member links each counts when the time is up. */
async function waitFullMesh (vehicles: NodeProcess[], timeoutMs: number): Promise<{ meshed: boolean, links: number }> {
  const deadline = Date.now() + timeoutMs
  while (true) {
    const counts = await Promise.all(vehicles.map(peersOf))
    if (counts.every(c => c === vehicles.length - 1)) return { meshed: true, links: counts.length * (counts.length - 1) }
    if (Date.now() >= deadline) return { meshed: false, links: counts.reduce((a, c) => a + Math.max(c, 0), 0) }
    await new Promise(resolve => setTimeout(resolve, vehicles.length > VEHICLES ? 1_000 : 100))
  }
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
async function idleCpu (vehicles: NodeProcess[], report: (r: BenchResult) => void, bench = 'discovery'): Promise<void> {
  const writing = performance.now()
  // the ten must all write; of the thirty, the figures below say how many did and how long it took
  const many = vehicles.length > VEHICLES
  const failed = await Promise.all(vehicles.map(async v => {
    // A write answers once replicated to k backups. 30 first writes at once (30
    // booths formed, phase 1, first replication rounds) took 20 s to over a
    // minute on two cores
    const res = await fetch(`${v.httpUrl}/chains/${v.peerId}/kv/idle`, { method: 'PUT', body: 'x', signal: AbortSignal.timeout(many ? 300_000 : 10_000) })
      .catch((err: Error) => { if (many) return undefined; throw err })
    if (res?.ok === true) return false
    if (!many) throw new Error(`write to ${v.peerId} failed: ${res?.status}`)
    return true
  }))
  if (many) {
    report({ bench, figure: `  every vehicle's first write, all ${vehicles.length} at once, until the last answered`, value: (performance.now() - writing) / 1000, unit: 's' })
    report({ bench, figure: '  of which failed (503: no quorum or commit timeout)', value: failed.filter(Boolean).length, unit: `of ${vehicles.length}` })
  }
  // the writes' booth set-up, commits and first replications are not upkeep (thirty take longer to settle)
  await new Promise(resolve => setTimeout(resolve, many ? 15_000 : 3_000))
  const pids = vehicles.map(v => v.child.pid ?? 0)
  const before = await Promise.all(pids.map(cpuMs))
  await new Promise(resolve => setTimeout(resolve, IDLE_SECONDS * 1000))
  const after = await Promise.all(pids.map(cpuMs))
  const perSecond = after.map((a, i) => ((a ?? NaN) - (before[i] ?? NaN)) / IDLE_SECONDS)
  const total = perSecond.reduce((a, b) => a + b, 0)
  report({ bench, figure: `idle CPU per node, mean of ${vehicles.length} (each has written once)`, value: total / perSecond.length, unit: 'ms/s' })
  report({ bench, figure: 'idle CPU per node, max', value: Math.max(...perSecond), unit: 'ms/s' })
  if (many) report({ bench, figure: `idle CPU of all ${vehicles.length}`, value: total / 1000, unit: 'cores' })
}

/** Vehicles of the dozens swarm, and how long they get to mesh. */
const DOZENS = 30
const DOZENS_MESH_TIMEOUT = 240_000
/** Vehicles started at once: 29 processes starting together on two cores miss spawnNode's 20 s ready limit. */
const DOZENS_START_GROUP = 5

/**
 * 30 vehicles bootstrapping to the first, over loopback: how long until each
 * counts all 29 others members, then the idle upkeep of the swarm. Two cores
 * run all 30, so this measures what a vehicle costs its host as much as the
 * protocols; a swarm that does not mesh in time reports how far it got.
 */
async function dozens (report: (r: BenchResult) => void): Promise<void> {
  const root = await benchDir('vguard-bench-dozens-')
  const network = `bench-${process.pid}-dozens`
  const vehicles: NodeProcess[] = []
  const args = (i: number): string[] => ['--data-dir', join(root, `v${i}`), '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', '--network', network, '--no-mdns']
  try {
    const started = performance.now()
    vehicles.push(await spawnVehicle({ args: args(0) }))
    const first = vehicles[0].addresses[0]
    while (vehicles.length < DOZENS) {
      const group = Math.min(DOZENS_START_GROUP, DOZENS - vehicles.length)
      const from = vehicles.length
      vehicles.push(...await spawnNodes(Array.from({ length: group }, (_, i) => ({ args: [...args(from + i), '--bootstrap', first] }))))
    }
    const { meshed, links } = await waitFullMesh(vehicles, DOZENS_MESH_TIMEOUT)
    if (!meshed) {
      report({ bench: 'dozens', figure: `${DOZENS} vehicles: no full mesh within ${DOZENS_MESH_TIMEOUT / 1000} s; member links`, value: links, unit: `of ${DOZENS * (DOZENS - 1)}` })
      return
    }
    report({ bench: 'dozens', figure: `${DOZENS} vehicles all connected, from spawn (bootstrap to one, in groups of ${DOZENS_START_GROUP})`, value: (performance.now() - started) / 1000, unit: 's' })
    await idleCpu(vehicles, report, 'dozens')
    // after the writes and the idle window: each vehicle runs its booth and holds backups
    const rss = await Promise.all(vehicles.map(async v => await rssMiB(v.child.pid ?? 0)))
    report({ bench: 'dozens', figure: `idle RSS per node, mean of ${DOZENS} (connected to ${DOZENS - 1} peers)`, value: rss.reduce((a, b) => a + b, 0) / rss.length, unit: 'MiB' })
    report({ bench: 'dozens', figure: `idle RSS of all ${DOZENS}`, value: rss.reduce((a, b) => a + b, 0) / 1024, unit: 'GiB' })
  } finally {
    await stopEach(vehicles)
    await rm(root, { recursive: true, force: true })
  }
}

async function swarm (mode: 'mdns' | 'bootstrap', report: (r: BenchResult) => void): Promise<void> {
  const root = await benchDir('vguard-bench-')
  const network = `bench-${process.pid}-${mode}`
  const vehicles: NodeProcess[] = []
  const base = (i: number): string[] => ['--data-dir', join(root, `v${i}`), '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', '--network', network, '--mdns-interval', '5000']
  try {
    const started = performance.now()
    if (mode === 'mdns') {
      vehicles.push(...await spawnNodes(Array.from({ length: VEHICLES }, (_, i) => ({ args: base(i) }))))
    } else {
      vehicles.push(await spawnVehicle({ args: [...base(0), '--no-mdns'] }))
      const first = vehicles[0].addresses[0]
      vehicles.push(...await spawnNodes(Array.from({ length: VEHICLES - 1 }, (_, i) => ({ args: [...base(i + 1), '--no-mdns', '--bootstrap', first] }))))
    }
    const allReady = performance.now()
    if (!(await waitFullMesh(vehicles, 30_000)).meshed) throw new Error(`not all ${vehicles.length} vehicles connected within 30 s`)
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
    await stopEach(vehicles)
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
}, {
  name: 'dozens',
  description: `time for ${DOZENS} vehicles bootstrapping to one to all connect, and the idle CPU and memory of the swarm`,
  run: dozens
}]
