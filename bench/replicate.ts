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
import { benchSwarm, growOwnChain, median, MIB, rawIntoFile, rawIntoLevel, rawRoundTrip, rawTransfer, serveBaselines, settle } from './support.ts'
import { readWithRedirect, ReadRequest, readRequest } from '../src/protocols/read/index.ts'
import { gpsTransaction } from '../src/workload/gps.ts'

const CHAIN_BYTES = 64 * MIB
const INCREMENT_BYTES = 4 * MIB
const READS = 300

/** Timed runs per figure; medians are reported (one run swung ±30% on this machine). */
const RUNS = 3

async function replication (report: (r: BenchResult) => void): Promise<void> {
  const swarm = await benchSwarm(3, 'replicate', { kBackups: 2 })
  try {
    const [a, b, c] = swarm.nodes
    const chainId = a.peerId.toString()
    const backups = [b.peerId.toString(), c.peerId.toString()]
    await serveBaselines(a)
    const bytes = await growOwnChain(a, CHAIN_BYTES)
    const perBackup = (ms: number): number => (bytes / MIB) / (ms / 1000)

    const rawMs: number[] = []
    const rawLevelMs: number[] = []
    const rawFileMs: number[] = []
    const repMs: number[] = []
    for (let run = 0; run < RUNS; run++) {
      // every timed run starts on settled databases (see settle())
      await settle(a, b, c)
      // raw baseline: both backups pull the same bytes from A at once over plain streams
      rawMs.push(Math.max(...await Promise.all([rawTransfer(a.peerId, b, bytes), rawTransfer(a.peerId, c, bytes)])))
      await settle(a, b, c)
      // the least a verifying, durable backup does (see rawIntoFile)
      rawFileMs.push(Math.max(...await Promise.all([rawIntoFile(a.peerId, b, bytes), rawIntoFile(a.peerId, c, bytes)])))
      await settle(a, b, c)
      // and the same bytes written into each backup's LevelDB as 1 KiB puts
      rawLevelMs.push(Math.max(...await Promise.all([rawIntoLevel(a.peerId, b, bytes, `rep-b-${run}`), rawIntoLevel(a.peerId, c, bytes, `rep-c-${run}`)])))
      // from scratch on both backups each time
      await Promise.all([b.chains.deleteChain(chainId), c.chains.deleteChain(chainId)])
      await settle(a, b, c)
      const started = performance.now()
      const outcome = await a.vguarddb.afterCommit(chainId, backups)
      repMs.push(performance.now() - started)
      if (!outcome.complete) throw new Error(`replication fell short: ${JSON.stringify(outcome.failures)}`)
    }
    const rep = median(repMs)
    report({ bench: 'replicate', figure: `chain of ${(bytes / MIB).toFixed(0)} MiB (1 KiB txs) to k = 2 backups, durable (median of ${RUNS})`, value: rep / 1000, unit: 's' })
    report(withRatio({ bench: 'replicate', figure: 'replication throughput per backup vs raw stream (2 at once)', value: perBackup(rep), unit: 'MiB/s', baseline: perBackup(median(rawMs)), target: '≥ 0.8×' }))
    report(withRatio({ bench: 'replicate', figure: '  same vs raw stream + sha-256 + file append, fdatasync (the ceiling)', value: perBackup(rep), unit: 'MiB/s', baseline: perBackup(median(rawFileMs)) }))
    report(withRatio({ bench: 'replicate', figure: '  ceiling itself vs raw stream', value: perBackup(median(rawFileMs)), unit: 'MiB/s', baseline: perBackup(median(rawMs)) }))
    report(withRatio({ bench: 'replicate', figure: '  same vs raw stream written into LevelDB as 1 KiB puts', value: perBackup(rep), unit: 'MiB/s', baseline: perBackup(median(rawLevelMs)) }))

    // incremental catch-up: only what the backups lack
    const incMs: number[] = []
    const rawIncMs: number[] = []
    const ratios: number[] = []
    let added = 0
    for (let run = 0; run < RUNS; run++) {
      added = await growOwnChain(a, INCREMENT_BYTES)
      await settle(a, b, c)
      rawIncMs.push(Math.max(...await Promise.all([rawTransfer(a.peerId, b, added), rawTransfer(a.peerId, c, added)])))
      await settle(a, b, c)
      const t1 = performance.now()
      const inc = await a.vguarddb.afterCommit(chainId, backups)
      incMs.push(performance.now() - t1)
      ratios.push(inc.transfers.reduce((n, t) => n + t.sentBytes, 0) / inc.transfers.length / added)
    }
    const incMiBps = (ms: number): number => (added / MIB) / (ms / 1000)
    report({ bench: 'replicate', figure: `catch-up of ${(added / MIB).toFixed(1)} MiB: bytes sent per backup / missing bytes (worst of ${RUNS})`, value: Math.max(...ratios), unit: '×', target: '≤ 1.05×' })
    report(withRatio({ bench: 'replicate', figure: 'catch-up throughput per backup vs raw stream', value: incMiBps(median(incMs)), unit: 'MiB/s', baseline: incMiBps(median(rawIncMs)), target: '≥ 0.8×' }))
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
    const request: ReadRequest = readRequest({ kind: ReadRequest.Kind.KEY, chainId, key: gpsTransaction(1).key })
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
