/**
 * Shared pieces of the benchmarks: in-process swarms on loopback, chains of
 * a given size, and raw-stream baselines measured over the same connections.
 */
import { mkdtemp, open, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash, randomBytes } from 'node:crypto'
import { createBlock, tipOf } from '../src/chain/index.ts'
import type { Block } from '../src/chain/index.ts'
import { createVGuardNode } from '../src/node/index.ts'
import type { VGuardNode, VGuardNodeOptions } from '../src/node/index.ts'
import type { PeerId } from '@libp2p/interface'
import { spawnVehicle, stopEach } from './vehicles.ts'
import type { NodeProcess, SpawnNodeInit } from '../src/swarm/process.ts'

export const MIB = 1024 * 1024
export const RAW_PROTOCOL = '/vguard-bench/raw/1.0.0'
export const ECHO_PROTOCOL = '/vguard-bench/echo/1.0.0'

/** CPU time (user + system, all threads) of a process, in ms; undefined where /proc is not there. */
export async function cpuMs (pid: number): Promise<number | undefined> {
  if (pid === process.pid) {
    const u = process.cpuUsage()
    return (u.user + u.system) / 1000
  }
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // utime and stime, in clock ticks (100 per second on Linux)
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

/**
 * Starts vehicle processes in parallel. If one fails (a start past spawnNode's
 * ready limit, as on a busy two-core machine), the others are waited for and
 * stopped before the error is thrown: with Promise.all they never reached the
 * caller's list, so its `finally` left them running and deleted their data
 * dir under them (a review).
 */
export async function spawnNodes (inits: SpawnNodeInit[]): Promise<NodeProcess[]> {
  const settled = await Promise.allSettled(inits.map(async init => await spawnVehicle(init)))
  const started = settled.flatMap(s => s.status === 'fulfilled' ? [s.value] : [])
  const failed = settled.find(s => s.status === 'rejected')
  if (failed == null) return started
  await stopEach(started)
  throw failed.reason
}

/** The run's root dir (bench/index.ts makes it): every benchmark's dirs go under it. */
let benchRoot: string | undefined

/** Sets the dir benchDir makes dirs under; undefined: the OS temp dir. */
export function setBenchRoot (dir: string | undefined): void {
  benchRoot = dir
}

/**
 * A fresh temp dir for a benchmark, under the run's root: a Ctrl-C, which
 * runs no benchmark's `finally`, removes that one root (every interrupted
 * run left its dirs of 64 MiB chains and more behind: a review).
 */
export async function benchDir (prefix: string): Promise<string> {
  return await mkdtemp(join(benchRoot ?? tmpdir(), prefix))
}

export function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/** How long an in-process node's stop may take in a benchmark before the run goes on without it. */
export const NODE_STOP_GRACE_MS = 15_000

/** Nodes whose stop ran past NODE_STOP_GRACE_MS: their handles keep the process up, so the run exits once done. */
let abandonedStops = 0

/** Whether a node's stop was given up on in this run (bench/index.ts then exits once the figures are out). */
export function stopsAbandoned (): boolean {
  return abandonedStops > 0
}

/**
 * Stops in-process nodes, each given NODE_STOP_GRACE_MS: unlike a vehicle
 * process, one cannot be killed, and a stop that hung held the whole run for
 * good (its data dir is still removed after; LevelDB's open files go with the
 * process).
 */
export async function stopNodes (nodes: Array<VGuardNode | undefined>, graceMs = NODE_STOP_GRACE_MS): Promise<void> {
  await Promise.all(nodes.map(async (node) => {
    if (node == null) return
    let timer: ReturnType<typeof setTimeout> | undefined
    const gaveUp = new Promise<'gave up'>(resolve => { timer = setTimeout(() => { resolve('gave up') }, graceMs) })
    try {
      const outcome = await Promise.race([node.stop().then(() => 'stopped' as const, (err: unknown) => { console.error(`bench: a node's stop failed: ${(err as Error).message}`); return 'stopped' as const }), gaveUp])
      if (outcome === 'gave up') {
        abandonedStops++
        console.error(`bench: node ${node.peerId.toString()} did not stop within ${graceMs / 1000} s; the run goes on without it`)
      }
    } finally {
      clearTimeout(timer)
    }
  }))
}

export interface BenchSwarm {
  nodes: VGuardNode[]
  stop: () => Promise<void>
}

/** n nodes on 127.0.0.1, mDNS off, all connected (bootstrap + peer exchange). */
export async function benchSwarm (n: number, name: string, overrides: Partial<VGuardNodeOptions> = {}): Promise<BenchSwarm> {
  const root = await benchDir(`vguard-bench-${name}-`)
  const nodes: VGuardNode[] = []
  const stop = async (): Promise<void> => {
    await stopNodes(nodes)
    await rm(root, { recursive: true, force: true })
  }
  try {
    const base = { listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, network: `bench-${name}-${process.pid}`, ...overrides }
    for (let i = 0; i < n; i++) {
      const node = await createVGuardNode({ ...base, dataDir: join(root, `n${i}`), bootstrap: i === 0 ? [] : [nodes[0].multiaddrs[0].toString()] })
      nodes.push(node)
      await node.start()
    }
    const deadline = Date.now() + 30_000
    while (!nodes.every(x => x.peers().length === n - 1)) {
      if (Date.now() > deadline) throw new Error(`bench swarm of ${n} did not connect`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
    return { nodes, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

/** Appends blocks of `txsPerBlock` × 1 KiB random transactions to the node's own chain until it holds `bytes`. */
export async function growOwnChain (node: VGuardNode, bytes: number, txsPerBlock = 1024): Promise<number> {
  const chainId = node.peerId.toString()
  let tip = await node.chains.tip(chainId)
  let added = 0
  while (added < bytes) {
    const blocks: Block[] = []
    for (let i = 0; i < 16 && added < bytes; i++) {
      const block = createBlock({
        prev: tip,
        proposer: chainId,
        booth: [chainId],
        timestamp: Date.now(),
        transactions: Array.from({ length: txsPerBlock }, (_, j) => ({ key: `gps/${tip.height + 1}/${j}`, value: randomBytes(1024) }))
      })
      blocks.push(block)
      added += block.headerBytes.byteLength + (block.payload?.byteLength ?? 0)
      tip = tipOf(block)
    }
    await node.chains.appendMany(blocks, { sync: false })
  }
  return added
}

/**
 * Waits until these nodes' LevelDB has compacted what earlier steps wrote or
 * deleted. Without it a timed run pays for the compactions the step before it
 * left behind (LevelDB compacts on a background thread that competes for the
 * same two cores): a reconcile right after the raw-into-LevelDB baseline
 * (64 MiB of 1 KiB puts, then cleared) ran at about half the speed of one on a
 * settled database. Used before every timed run, baselines included. A
 * measurement fix, not a change of what is measured: each run still does (and
 * pays for) all the compaction its own writes cause while it runs.
 */
export async function settle (...nodes: VGuardNode[]): Promise<void> {
  await Promise.all(nodes.map(async (n) => {
    // classic-level (what `level` is in Node) has compactRange; level's types leave it out
    const db = n.store.db as unknown as { compactRange: (start: Uint8Array, end: Uint8Array) => Promise<void> }
    await db.compactRange(new Uint8Array([0]), new Uint8Array(16).fill(0xff))
  }))
}

/** Serves RAW_PROTOCOL (send the number of bytes asked, in 256 KiB chunks, honouring drain) and ECHO_PROTOCOL. */
export async function serveBaselines (node: VGuardNode): Promise<void> {
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
  await node.libp2p.handle(ECHO_PROTOCOL, async (stream) => {
    stream.addEventListener('message', (evt) => { stream.send(evt.data) })
    await new Promise<void>((resolve) => { stream.addEventListener('remoteCloseWrite', () => { resolve() }, { once: true }) })
    await stream.close()
  }, { maxInboundStreams: 1024 })
}

/**
 * `to` pulls `bytes` from `from` over a fresh raw stream (sent in 256 KiB
 * chunks, honouring drain), handing each chunk to `sink` if given; resolves
 * with the milliseconds it took.
 */
export async function rawTransfer (from: PeerId, to: VGuardNode, bytes: number, sink?: (chunk: Uint8Array) => void): Promise<number> {
  const started = performance.now()
  const stream = await to.libp2p.dialProtocol(from, RAW_PROTOCOL)
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
export async function rawIntoLevel (from: PeerId, to: VGuardNode, bytes: number, run: number | string): Promise<number> {
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

/**
 * The least any receiver that verifies what it gets and keeps it durably must
 * do, as a baseline: the raw stream, sha-256 over every byte, and the bytes
 * appended to a file (one write in flight, a flush started every 8 MiB so the
 * disk writes back while the stream goes on) with an fdatasync at the end. No
 * protocol, no framing, no block parsing, no state index. What a store can
 * reach at best on this machine, measured in the same run.
 */
export async function rawIntoFile (from: PeerId, to: VGuardNode, bytes: number): Promise<number> {
  const dir = await benchDir('vguard-bench-file-')
  const file = await open(join(dir, 'received'), 'w')
  try {
    const hash = createHash('sha256')
    let buffered: Uint8Array[] = []
    let bufferedBytes = 0
    let inflight: Promise<unknown> = Promise.resolve()
    let unflushed = 0
    const flush = (): void => {
      const chunks = buffered
      unflushed += bufferedBytes
      buffered = []
      bufferedBytes = 0
      inflight = inflight.then(async () => await file.writev(chunks))
      if (unflushed >= 8 * MIB) {
        unflushed = 0
        inflight.then(async () => { await file.datasync() }).catch(() => {})
      }
    }
    const started = performance.now()
    await rawTransfer(from, to, bytes, (chunk) => {
      hash.update(chunk)
      buffered.push(chunk)
      bufferedBytes += chunk.byteLength
      if (bufferedBytes >= MIB) flush()
    })
    flush()
    await inflight
    hash.digest()
    await file.datasync()
    return performance.now() - started
  } finally {
    await file.close()
    await rm(dir, { recursive: true, force: true })
  }
}

/** One request/response on a new stream (as a read does): open, send 64 bytes, wait for the echo, close. */
export async function rawRoundTrip (from: VGuardNode, to: PeerId): Promise<number> {
  const started = performance.now()
  const stream = await from.libp2p.dialProtocol(to, ECHO_PROTOCOL)
  await new Promise<void>((resolve) => {
    stream.addEventListener('message', () => { resolve() }, { once: true })
    stream.send(new Uint8Array(64))
  })
  await stream.close()
  return performance.now() - started
}
