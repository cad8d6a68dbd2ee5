/**
 * VGuardDB's figures: replication of a 64 MiB chain to k = 2 backups and an
 * incremental catch-up, each against raw libp2p streams carrying the same
 * bytes in the same run; read latency from the proposer, from a backup and
 * through one redirect, against a raw request/response; and storage
 * amplification after 50 booths.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { percentile, withRatio } from './types.ts'
import type { Benchmark, BenchResult } from './types.ts'
import { benchSwarm, growOwnChain, MIB, rawIntoLevel, rawRoundTrip, rawTransfer, serveBaselines, settle } from './support.ts'
import { readWithRedirect, ReadRequest } from '../src/protocols/read/index.ts'
import { gpsTransaction } from '../src/workload/gps.ts'

const CHAIN_BYTES = 64 * MIB
const INCREMENT_BYTES = 4 * MIB
const READS = 300

async function replication (report: (r: BenchResult) => void): Promise<void> {
  const swarm = await benchSwarm(3, 'replicate', { kBackups: 2 })
  try {
    const [a, b, c] = swarm.nodes
    const chainId = a.peerId.toString()
    await serveBaselines(a)
    const bytes = await growOwnChain(a, CHAIN_BYTES)

    // every timed run starts on settled databases (see settle())
    await settle(a, b, c)
    // raw baseline: both backups pull the same bytes from A at once over plain streams
    const rawMs = await Promise.all([rawTransfer(a.peerId, b, bytes), rawTransfer(a.peerId, c, bytes)])
    // and the same bytes written into each backup's LevelDB as 1 KiB puts: the disk's share of the cost
    const rawLevelMs = await Promise.all([rawIntoLevel(a.peerId, b, bytes, 'rep-b'), rawIntoLevel(a.peerId, c, bytes, 'rep-c')])
    await settle(a, b, c)
    const started = performance.now()
    const outcome = await a.vguarddb.afterCommit(chainId, [b.peerId.toString(), c.peerId.toString()])
    const repMs = performance.now() - started
    if (!outcome.complete) throw new Error(`replication fell short: ${JSON.stringify(outcome.failures)}`)
    const perBackup = (ms: number): number => (bytes / MIB) / (ms / 1000)
    report({ bench: 'replicate', figure: `chain of ${(bytes / MIB).toFixed(0)} MiB (1 KiB txs) to k = 2 backups, durable`, value: repMs / 1000, unit: 's' })
    report(withRatio({ bench: 'replicate', figure: 'replication throughput per backup vs raw stream (2 at once)', value: perBackup(repMs), unit: 'MiB/s', baseline: perBackup(Math.max(...rawMs)), target: '≥ 0.8×' }))
    report(withRatio({ bench: 'replicate', figure: '  same vs raw stream written into LevelDB as 1 KiB puts', value: perBackup(repMs), unit: 'MiB/s', baseline: perBackup(Math.max(...rawLevelMs)) }))

    // incremental catch-up: only what the backups lack
    const added = await growOwnChain(a, INCREMENT_BYTES)
    await settle(a, b, c)
    const rawInc = await Promise.all([rawTransfer(a.peerId, b, added), rawTransfer(a.peerId, c, added)])
    await settle(a, b, c)
    const t1 = performance.now()
    const inc = await a.vguarddb.afterCommit(chainId, [b.peerId.toString(), c.peerId.toString()])
    const incMs = performance.now() - t1
    const sent = inc.transfers.reduce((n, t) => n + t.sentBytes, 0) / inc.transfers.length
    report({ bench: 'replicate', figure: `catch-up of ${(added / MIB).toFixed(1)} MiB: bytes sent per backup / missing bytes`, value: sent / added, unit: '×', target: '≤ 1.05×' })
    report(withRatio({ bench: 'replicate', figure: 'catch-up throughput per backup vs raw stream', value: perBackup(incMs) * added / bytes, unit: 'MiB/s', baseline: perBackup(Math.max(...rawInc)) * added / bytes, target: '≥ 0.8×' }))
  } finally {
    await swarm.stop()
  }
}

async function reads (report: (r: BenchResult) => void): Promise<void> {
  // A proposer, B and C its backups, E released (a forward pointer), R the reader
  const swarm = await benchSwarm(5, 'read', { kBackups: 2 })
  try {
    const [a, b, c, e, r] = swarm.nodes
    const chainId = a.peerId.toString()
    for (const n of swarm.nodes) await serveBaselines(n)
    const ids = (...ns: typeof swarm.nodes): string[] => ns.map(n => n.peerId.toString())
    await a.endOfBooth({ participants: ids(e, b), transactions: [gpsTransaction(0)] })
    await a.endOfBooth({ participants: ids(b, c), transactions: [gpsTransaction(1)] })
    const deadline = Date.now() + 10_000
    while (a.vguarddb.pendingReleases().length > 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    const table = a.vguarddb.tables.get(chainId)
    if (table == null) throw new Error('no table')
    await r.vguarddb.tables.adopt(table.signed)
    const released = ids(e, b).find(id => !table.table.active.includes(id)) as string
    const backup = table.table.active[0]
    const request: ReadRequest = { kind: ReadRequest.Kind.KEY, chainId, key: gpsTransaction(1).key, height: 0, to: 0 }
    const ask = async (peer: string, req: ReadRequest): Promise<Awaited<ReturnType<typeof r.vguarddb.read.ask>>> => await r.vguarddb.read.ask(peerIdFromString(peer), req)
    // The four kinds of read take turns, so load drift on a shared machine
    // (GC, the other nodes' timers) falls on each of them alike
    const kinds = {
      raw: async () => await rawRoundTrip(r, a.peerId),
      fromProposer: async () => await r.vguarddb.readKey(chainId, request.key),
      fromBackup: async () => await readWithRedirect({ request, self: r.peerId.toString(), via: [backup], tables: r.vguarddb.tables, ask }),
      viaRedirect: async () => await readWithRedirect({ request, self: r.peerId.toString(), via: [released], tables: r.vguarddb.tables, ask })
    }
    const times: Record<keyof typeof kinds, number[]> = { raw: [], fromProposer: [], fromBackup: [], viaRedirect: [] }
    for (let i = 0; i < READS; i++) {
      for (const [name, fn] of Object.entries(kinds) as Array<[keyof typeof kinds, () => Promise<unknown>]>) {
        const t = performance.now()
        await fn()
        times[name].push(performance.now() - t)
      }
    }
    const [raw, fromProposer, fromBackup, viaRedirect] = [times.raw, times.fromProposer, times.fromBackup, times.viaRedirect].map(xs => xs.sort((x, y) => x - y))
    const p50 = (xs: number[]): number => percentile(xs, 50)
    report({ bench: 'read', figure: 'raw request/response on a new libp2p stream, p50', value: p50(raw) * 1000, unit: 'µs' })
    report(withRatio({ bench: 'read', figure: 'read a key from the proposer, p50', value: p50(fromProposer) * 1000, unit: 'µs', baseline: p50(raw) * 1000, target: '≤ 3× raw' }))
    report(withRatio({ bench: 'read', figure: 'read a key from a backup, p50', value: p50(fromBackup) * 1000, unit: 'µs', baseline: p50(raw) * 1000 }))
    report(withRatio({ bench: 'read', figure: 'read through one redirect, p50 (vs direct backup read)', value: p50(viaRedirect) * 1000, unit: 'µs', baseline: p50(fromBackup) * 1000, target: '≤ 2× direct' }))
    report({ bench: 'read', figure: 'read through one redirect, p99', value: percentile(viaRedirect, 99) * 1000, unit: 'µs' })
  } finally {
    await swarm.stop()
  }
}

async function amplification (report: (r: BenchResult) => void): Promise<void> {
  const swarm = await benchSwarm(8, 'amplify', { kBackups: 2 })
  try {
    const [a, ...others] = swarm.nodes
    const chainId = a.peerId.toString()
    let seed = 11
    const random = (): number => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
    const duty = new Map<string, number>(others.map(n => [n.peerId.toString(), 0]))
    for (let booth = 0; booth < 50; booth++) {
      const participants = [...others].sort(() => random() - 0.5).slice(0, 3 + Math.floor(random() * 2)).map(n => n.peerId.toString())
      const outcome = await a.endOfBooth({ participants, transactions: Array.from({ length: 20 }, (_, i) => gpsTransaction(booth * 20 + i)) })
      for (const p of outcome.active) duty.set(p, (duty.get(p) ?? 0) + 1)
    }
    const deadline = Date.now() + 30_000
    while (a.vguarddb.pendingReleases().length > 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
    const chainBytes = (await a.chains.info(chainId))?.bytes ?? 0
    const held = await Promise.all(swarm.nodes.map(async n => (await n.chains.info(chainId))?.bytes ?? 0))
    const total = held.reduce((x, y) => x + y, 0)
    report({ bench: 'amplify', figure: 'storage amplification after 50 booths (bytes across swarm / chain bytes), k = 2', value: total / chainBytes, unit: '×', target: '≤ 3.15 (k + 1 + 5%)' })
    const epochs = [...duty.values()]
    report({ bench: 'amplify', figure: `backup duty over 50 booths (epochs served): max / mean over ${epochs.length} vehicles`, value: Math.max(...epochs) / (epochs.reduce((x, y) => x + y, 0) / epochs.length), unit: '×' })
  } finally {
    await swarm.stop()
  }
}

export const benchmarks: Benchmark[] = [
  { name: 'replicate', description: 'replication of a 64 MiB chain to k = 2 backups and an incremental catch-up vs raw libp2p streams', run: replication },
  { name: 'read', description: 'read latency from the proposer, a backup, and through one redirect vs a raw request/response', run: reads },
  { name: 'amplify', description: 'storage amplification and duty spread after 50 booths', run: amplification }
]
