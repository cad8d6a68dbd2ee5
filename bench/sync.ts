/**
 * Reconcile throughput: a node fetches a 64 MiB chain from a peer over
 * /vguard/sync/1.0.0 (verifying every block and appending it durably), against
 * a raw libp2p stream carrying the same number of bytes over the same
 * connection, in the same run. Runs alternate and medians are compared.
 *
 * Two more baselines say what part is the protocol's: the same raw stream
 * with the receiver writing the bytes into LevelDB as plain 1 KiB puts (what a
 * replicated key-value store without a chain would do), synced at the end; and
 * the least any verifying, durable receiver does (sha-256 of every byte and a
 * file append with one fdatasync: rawIntoFile), which is as far as any store
 * can go on this machine.
 */
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createBlock, emptyTip, tipOf } from '../src/chain/index.ts'
import type { Block, ChainTip } from '../src/chain/index.ts'
import { createVGuardNode } from '../src/node/index.ts'
import type { VGuardNode } from '../src/node/index.ts'
import { withRatio } from './types.ts'
import { benchDir, median, MIB, rawIntoFile, rawIntoLevel, rawTransfer, serveBaselines, settle, stopNodes } from './support.ts'
import type { Benchmark, BenchResult } from './types.ts'

const CHAIN_BYTES = 64 * MIB
const TXS_PER_BLOCK = 100
const RUNS = 3
const CHAIN = 'bench-sync-chain'

async function buildChain (node: VGuardNode): Promise<number> {
  let tip: ChainTip = emptyTip(CHAIN)
  let bytes = 0
  while (bytes < CHAIN_BYTES) {
    const blocks: Block[] = []
    for (let i = 0; i < 50 && bytes < CHAIN_BYTES; i++) {
      const block = createBlock({
        prev: tip,
        proposer: node.peerId.toString(),
        booth: [node.peerId.toString()],
        timestamp: Date.now(),
        transactions: Array.from({ length: TXS_PER_BLOCK }, (_, j) => ({ key: `gps/${tip.height + 1}/${j}`, value: randomBytes(1024) }))
      })
      blocks.push(block)
      bytes += block.headerBytes.byteLength + (block.payload?.byteLength ?? 0)
      tip = tipOf(block)
    }
    await node.chains.appendMany(blocks, { sync: false })
  }
  return bytes
}

async function run (report: (r: BenchResult) => void): Promise<void> {
  const root = await benchDir('vguard-bench-sync-')
  const nodes: VGuardNode[] = []
  try {
    const network = `bench-sync-${process.pid}`
    const base = { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, network }
    const a = await createVGuardNode({ ...base, dataDir: join(root, 'a') })
    nodes.push(a)
    await a.start()
    const b = await createVGuardNode({ ...base, dataDir: join(root, 'b'), bootstrap: [a.multiaddrs[0].toString()] })
    nodes.push(b)
    await b.start()
    const deadline = Date.now() + 20_000
    while (b.peers().length === 0) {
      if (Date.now() > deadline) throw new Error('bench nodes did not connect')
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    const bytes = await buildChain(a)
    const height = (await a.chains.tip(CHAIN)).height
    await serveBaselines(a)

    const syncMs: number[] = []
    const rawMs: number[] = []
    const rawLevelMs: number[] = []
    const rawFileMs: number[] = []
    for (let i = 0; i < RUNS; i++) {
      // every timed run starts on settled databases (see settle())
      await settle(a, b)
      rawMs.push(await rawTransfer(a.peerId, b, bytes))
      rawLevelMs.push(await rawIntoLevel(a.peerId, b, bytes, i))
      await settle(a, b)
      rawFileMs.push(await rawIntoFile(a.peerId, b, bytes))
      await b.chains.deleteChain(CHAIN)
      await settle(a, b)
      const started = performance.now()
      const [result] = await b.sync.reconcile(CHAIN)
      syncMs.push(performance.now() - started)
      if (result.after !== height) throw new Error(`reconcile reached ${result.after} of ${height}`)
    }
    const mibps = (ms: number): number => (bytes / MIB) / (ms / 1000)
    report({ bench: 'sync', figure: `chain: ${height} blocks × ${TXS_PER_BLOCK} × 1 KiB txs`, value: bytes / MIB, unit: 'MiB' })
    const figure = (name: string, value: number[], baseline: number[], target?: string): void => {
      report(withRatio({ bench: 'sync', figure: name, value: mibps(median(value)), unit: 'MiB/s', baseline: mibps(median(baseline)), target }))
    }
    figure('reconcile (verify, durable append) vs raw stream', syncMs, rawMs, '≥ 0.7×')
    figure('  same, vs raw stream + sha-256 + file append, fdatasync (the ceiling)', syncMs, rawFileMs)
    figure('  ceiling itself vs raw stream', rawFileMs, rawMs)
    figure('  same, vs raw stream into LevelDB 1 KiB puts', syncMs, rawLevelMs)
  } finally {
    await stopNodes(nodes)
    await rm(root, { recursive: true, force: true })
  }
}

export const benchmarks: Benchmark[] = [
  {
    name: 'sync',
    description: 'reconcile throughput of a 64 MiB chain over /vguard/sync/1.0.0 vs a raw libp2p stream of the same bytes',
    run
  }
]
