/**
 * Reconcile throughput: a node fetches a 64 MiB chain from a peer over
 * /vguard/sync/1.0.0 (verifying every block and appending it durably), against
 * a raw libp2p stream carrying the same number of bytes over the same
 * connection, in the same run. Runs alternate and medians are compared.
 *
 * On loopback the raw stream is faster than LevelDB can store the data, so a
 * second baseline shows what part is the protocol's: the same raw stream with
 * the receiver writing the bytes into LevelDB as plain 1 KiB puts (what a
 * replicated key-value store without a chain would do), synced at the end.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { createBlock, emptyTip, tipOf } from '../src/chain/index.ts'
import type { Block, ChainTip } from '../src/chain/index.ts'
import { createVGuardNode } from '../src/node/index.ts'
import type { VGuardNode } from '../src/node/index.ts'
import { withRatio } from './types.ts'
import type { Benchmark, BenchResult } from './types.ts'

const MIB = 1024 * 1024
const CHAIN_BYTES = 64 * MIB
const TXS_PER_BLOCK = 100
const RUNS = 3
const RAW_PROTOCOL = '/vguard-bench/raw/1.0.0'
const CHAIN = 'bench-sync-chain'

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

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

/**
 * The sender writes `bytes` in 256 KiB chunks, honouring drain; the receiver
 * counts until the end, handing each chunk to `sink` if given.
 */
async function rawTransfer (from: VGuardNode, to: VGuardNode, bytes: number, sink?: (chunk: Uint8Array) => void): Promise<number> {
  const started = performance.now()
  const stream = await to.libp2p.dialProtocol(from.peerId, RAW_PROTOCOL)
  let received = 0
  await new Promise<void>((resolve, reject) => {
    stream.addEventListener('message', (evt) => {
      received += evt.data.byteLength
      sink?.(evt.data.subarray())
    })
    stream.addEventListener('remoteCloseWrite', () => { resolve() })
    stream.addEventListener('close', (evt) => { if (evt.error != null) reject(evt.error); else resolve() })
    stream.send(new TextEncoder().encode(String(bytes)))
  })
  await stream.close()
  if (received !== bytes) throw new Error(`raw stream delivered ${received} of ${bytes} bytes`)
  return performance.now() - started
}

/** Raw stream into LevelDB: every 1 MiB received becomes one batch of 1 KiB puts, one batch in flight, synced at the end. */
async function rawIntoLevel (from: VGuardNode, to: VGuardNode, bytes: number, run: number): Promise<number> {
  const db = to.store.db
  const utf8 = new TextEncoder()
  let buffered: Uint8Array[] = []
  let bufferedBytes = 0
  let written = 0
  let inflight: Promise<void> = Promise.resolve()
  const flush = (sync: boolean): void => {
    const data = Buffer.concat(buffered)
    buffered = []
    bufferedBytes = 0
    const batch = db.batch()
    for (let off = 0; off < data.byteLength; off += 1024) batch.put(utf8.encode(`bench-raw/${run}/${written++}`), data.subarray(off, off + 1024))
    const previous = inflight
    inflight = previous.then(async () => { await batch.write({ sync }) })
  }
  const started = performance.now()
  await rawTransfer(from, to, bytes, (chunk) => {
    buffered.push(chunk.slice())
    bufferedBytes += chunk.byteLength
    if (bufferedBytes >= MIB) flush(false)
  })
  flush(true)
  await inflight
  const ms = performance.now() - started
  await db.clear({ gte: utf8.encode(`bench-raw/${run}/`), lt: utf8.encode(`bench-raw/${run}0`) })
  return ms
}

async function serveRaw (node: VGuardNode): Promise<void> {
  const chunk = randomBytes(256 * 1024)
  await node.libp2p.handle(RAW_PROTOCOL, async (stream) => {
    const asked = await new Promise<number>((resolve) => {
      stream.addEventListener('message', (evt) => { resolve(Number(new TextDecoder().decode(evt.data.subarray()))) }, { once: true })
    })
    let left = asked
    while (left > 0) {
      const part = left >= chunk.byteLength ? chunk : chunk.subarray(0, left)
      left -= part.byteLength
      if (!stream.send(part)) await stream.onDrain()
    }
    await stream.close()
  })
}

async function run (report: (r: BenchResult) => void): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'vguard-bench-sync-'))
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
    await serveRaw(a)

    const syncMs: number[] = []
    const rawMs: number[] = []
    const rawLevelMs: number[] = []
    for (let i = 0; i < RUNS; i++) {
      rawMs.push(await rawTransfer(a, b, bytes))
      rawLevelMs.push(await rawIntoLevel(a, b, bytes, i))
      await b.chains.deleteChain(CHAIN)
      const started = performance.now()
      const [result] = await b.sync.reconcile(CHAIN)
      syncMs.push(performance.now() - started)
      if (result.after !== height) throw new Error(`reconcile reached ${result.after} of ${height}`)
    }
    const mibps = (ms: number): number => (bytes / MIB) / (ms / 1000)
    report({ bench: 'sync', figure: `chain: ${height} blocks × ${TXS_PER_BLOCK} × 1 KiB txs`, value: bytes / MIB, unit: 'MiB' })
    report(withRatio({
      bench: 'sync',
      figure: 'reconcile (verify, durable append) vs raw stream',
      value: mibps(median(syncMs)),
      unit: 'MiB/s',
      baseline: mibps(median(rawMs)),
      target: '≥ 0.7×'
    }))
    report(withRatio({
      bench: 'sync',
      figure: '  same, vs raw stream into LevelDB 1 KiB puts',
      value: mibps(median(syncMs)),
      unit: 'MiB/s',
      baseline: mibps(median(rawLevelMs))
    }))
  } finally {
    await Promise.allSettled(nodes.map(async n => { await n.stop() }))
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
