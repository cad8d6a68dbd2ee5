/**
 * `npm run soak`: a swarm of vehicle processes on loopback, each writing to
 * its own chain (and now and then to the shared one), while vehicles are
 * killed (kill -9, back with the same data a few seconds later) or leave for
 * good (SIGTERM) and new ones join. At the end it reads back every
 * acknowledged write it sampled, through the read with redirect (a vehicle's
 * chain) or a quorum read (the shared chain), from vehicles in turn, and
 * compares the blocks every live holder of a chain has at the same height.
 *
 * It fails (exit 1) on what should never happen: an acknowledged write that
 * cannot be read while a live vehicle holds its chain, two holders with
 * different blocks at one height, a vehicle that exits on its own or not
 * cleanly, or one that printed a Node warning (a listener leak, say). A chain
 * whose vehicle and every backup left is reported, not a failure: with k
 * backups, k + 1 departures lose it by design.
 *
 * Not a test and not a benchmark: it runs minutes, and what it finds becomes a
 * test. Everything stays on 127.0.0.1 (no mDNS).
 */
import { appendFileSync } from 'node:fs'
import type { ChildProcess } from 'node:child_process'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import type { NodeProcess } from '../src/swarm/process.ts'
import { withRunRoot } from './run-root.ts'
import { spawnVehicle } from './vehicles.ts'

interface Vehicle {
  name: string
  dir: string
  proc?: NodeProcess
  alive: boolean
  /** Set before we stop it: an exit we did not ask for is a failure. */
  stopping: boolean
  writing: boolean
  seq: number
}

const USAGE = 'usage: npm run soak -- [--duration SECONDS] [--vehicles N (≥ 3)] [--churn SECONDS] [--member-idle MS] [--booth-size N] [--k-backups K] [--keep] [--help]'

/** The flags, or the usage and exit 2 for one it does not take (it was Node's stack trace, --help too: a probe, 2026-12-03). */
function parseFlags (): ReturnType<typeof parseSoakArgs> {
  try {
    return parseSoakArgs()
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`)
    process.exit(2)
  }
}

function parseSoakArgs () {
  return parseArgs({
    options: {
      duration: { type: 'string', default: '300' },
      vehicles: { type: 'string', default: '7' },
      churn: { type: 'string', default: '12' },
      'member-idle': { type: 'string', default: '8000' },
      'booth-size': { type: 'string' },
      'k-backups': { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false }
    }
  })
}

const { values } = parseFlags()
if (values.help) {
  console.log(USAGE)
  process.exit(0)
}
const DURATION_MS = Number(values.duration) * 1000
const VEHICLES = Number(values.vehicles)
const CHURN_MS = Number(values.churn) * 1000
/** Booth size and k as the vehicles' own flags take them (their defaults when not given). */
const SHAPE = (['booth-size', 'k-backups'] as const).flatMap(name => values[name] == null ? [] : [`--${name}`, values[name]])
const shapeOk = (['booth-size', 'k-backups'] as const).every(name => values[name] == null || /^\d+$/.test(values[name]))
if (![DURATION_MS, VEHICLES, CHURN_MS].every(n => Number.isFinite(n) && n > 0) || VEHICLES < 3 || !shapeOk) {
  console.error(USAGE)
  process.exit(2)
}
const NETWORK = `soak-${process.pid}`
const SAMPLE = { first: 20, last: 40 }
/** How Node prints a process warning (MaxListenersExceededWarning, DeprecationWarning, …). */
const NODE_WARNING = /^\(node:\d+\) (\[\w+\] )?\w*Warning\b/

const started = Date.now()
const log = (...parts: unknown[]): void => { console.log(`${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s`, ...parts) }
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }
const vehicles: Vehicle[] = []
/** chain id → key → value, for every write a vehicle acknowledged */
const acknowledged = new Map<string, Map<string, string>>()
const counts = { ok: 0, failed: 0, sharedOk: 0, sharedFailed: 0 }
const failures: string[] = []
/** Set when the churn is over: writers and the monitor end. */
const run = { over: false }

async function request (url: string, init: RequestInit = {}, ms = 10_000): Promise<{ status: number, body: any }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(ms) })
  const text = await res.text()
  try {
    return { status: res.status, body: JSON.parse(text) }
  } catch {
    return { status: res.status, body: text }
  }
}

function note (chainId: string, key: string, value: string): void {
  let keys = acknowledged.get(chainId)
  if (keys == null) acknowledged.set(chainId, keys = new Map())
  keys.set(key, value)
}

async function start (v: Vehicle): Promise<void> {
  const bootstrap = vehicles.filter(o => o !== v && o.alive && o.proc != null).flatMap(o => ['--bootstrap', o.proc?.addresses[0] ?? ''])
  // tracked from its spawn: a signal to the soak's pid alone left the vehicles running, orphaned (a review)
  const proc = await spawnVehicle({
    // kept with the run's dir: what each vehicle said, for whoever reads a failed soak afterwards
    onSpawn: values.keep ? (child) => { keepLog(child, `${v.dir}.log`) } : undefined,
    args: ['--data-dir', v.dir, '--listen', '/ip4/127.0.0.1/tcp/0', '--http', '127.0.0.1:0', '--no-mdns', '--network', NETWORK,
      '--member-idle', String(values['member-idle']), '--commit-timeout', '5000', ...SHAPE, ...bootstrap]
  })
  v.proc = proc
  v.alive = true
  v.stopping = false
  void proc.exited.then((code) => {
    v.alive = false
    if (!v.stopping && !run.over) failures.push(`${v.name} exited on its own (${String(code)}): ${proc.output.slice(-3).join(' | ')}`)
    // a listener leak, a promise rejection nobody handled, a deprecated call: each a bug to find
    const warnings = proc.output.filter(line => NODE_WARNING.test(line))
    if (warnings.length > 0) failures.push(`${v.name} printed ${warnings.length} Node warning(s), the first: ${warnings[0]}`)
  })
}

/**
 * Appends what `child` prints, stdout and stderr as they come, to `path`, each run of it opened and closed by a
 * line saying when. Synchronous appends: a signal ends the soak with process.exit as soon as its vehicles have
 * stopped, and a stream's pending writes would be lost with their last words (and a vehicle says little).
 */
function keepLog (child: ChildProcess, path: string): void {
  appendFileSync(path, `--- ${new Date().toISOString()} started (pid ${String(child.pid)})\n`)
  for (const output of [child.stdout, child.stderr]) output?.on('data', (chunk: Buffer) => { appendFileSync(path, chunk) })
  // 'close': once its output is all in (after 'exit')
  child.once('close', (code, signal) => { appendFileSync(path, `--- ${new Date().toISOString()} exited (${signal ?? String(code)})\n`) })
}

async function addVehicle (root: string): Promise<Vehicle> {
  const v: Vehicle = { name: `v${vehicles.length}`, dir: join(root, `v${vehicles.length}`), alive: false, stopping: false, writing: true, seq: 0 }
  vehicles.push(v)
  await start(v)
  void write(v)
  return v
}

/** One vehicle's writes: its own chain, and every tenth time the shared chain. */
async function write (v: Vehicle): Promise<void> {
  while (!run.over && v.writing) {
    const proc = v.proc
    if (!v.alive || proc == null) { await sleep(200); continue }
    const key = `k${v.seq++}`
    const value = `${v.name}:${key}:${Date.now()}`
    try {
      const res = await request(`${proc.httpUrl}/chains/${proc.peerId}/kv/${key}`, { method: 'PUT', body: value })
      if (res.status === 200) { counts.ok++; note(proc.peerId, key, value) } else counts.failed++
    } catch { counts.failed++ }
    if (v.seq % 10 === 0) {
      const sharedKey = `${v.name}-${v.seq}`
      try {
        const res = await request(`${proc.httpUrl}/chains/shared/kv/${sharedKey}`, { method: 'PUT', body: sharedKey })
        if (res.status === 200) { counts.sharedOk++; note('shared', sharedKey, sharedKey) } else counts.sharedFailed++
      } catch { counts.sharedFailed++ }
    }
    await sleep(30 + Math.random() * 40)
  }
}

async function stop (v: Vehicle, signal: NodeJS.Signals): Promise<number> {
  v.stopping = true
  const t = Date.now()
  const code = await v.proc?.stop(signal)
  if (signal === 'SIGTERM' && code !== 0) failures.push(`${v.name} exited with ${String(code)} after SIGTERM`)
  return Date.now() - t
}

async function diskBytes (dir: string): Promise<number> {
  let total = 0
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => [])) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name)).catch(() => ({ size: 0 }))).size
  }
  return total
}

async function processFigures (proc: NodeProcess | undefined): Promise<string> {
  const pid = proc?.child.pid
  if (proc == null || pid == null) return '?'
  try {
    const rss = /VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1]
    const fds = (await readdir(`/proc/${pid}/fd`)).length
    return `${Math.round(Number(rss) / 1024)} MiB (heap ${await heapUsed(proc)}), ${fds} fds`
  } catch {
    return '?'
  }
}

/**
 * The JS heap in use, the heap V8 holds, and memory outside it (Buffers and
 * the like), from prom-client's default metrics: RSS alone cannot tell a leak
 * from a heap V8 has not shrunk yet, nor either from native memory (LevelDB,
 * the allocator) — that is what RSS minus these leaves.
 */
async function heapUsed (proc: NodeProcess): Promise<string> {
  const res = await request(`${proc.httpUrl}/metrics`, {}, 5_000).catch(() => undefined)
  const body = typeof res?.body === 'string' ? res.body : ''
  const mib = (metric: string): string => {
    const bytes = new RegExp(`^${metric} (\\d+)`, 'm').exec(body)?.[1]
    return bytes == null ? '?' : `${Math.round(Number(bytes) / 2 ** 20)}`
  }
  return `${mib('nodejs_heap_size_used_bytes')} of ${mib('nodejs_heap_size_total_bytes')} MiB, external ${mib('nodejs_external_memory_bytes')} MiB`
}

async function monitor (): Promise<void> {
  while (!run.over) {
    await sleep(15_000)
    const rows = await Promise.all(vehicles.filter(v => v.alive).map(async v => `${v.name} ${await processFigures(v.proc)}, ${(await diskBytes(v.dir) / 2 ** 20).toFixed(1)} MiB on disk`))
    log(`writes ok ${counts.ok}, failed ${counts.failed}; shared ok ${counts.sharedOk}, failed ${counts.sharedFailed}`)
    for (const row of rows) log(`  ${row}`)
  }
}

async function churn (root: string): Promise<number> {
  let round = 0
  let slowestStop = 0
  while (Date.now() - started < DURATION_MS) {
    // a churn period longer than what is left ends the run on time (--churn
    // beyond --duration: a swarm without churn, to measure its steady pace)
    const left = DURATION_MS - (Date.now() - started)
    if (left < CHURN_MS) { await sleep(left); break }
    await sleep(CHURN_MS)
    const live = vehicles.filter(v => v.alive)
    const v = live[Math.floor(Math.random() * live.length)]
    if (++round % 3 === 0) {
      v.writing = false
      const ms = await stop(v, 'SIGTERM')
      slowestStop = Math.max(slowestStop, ms)
      const joined = await addVehicle(root)
      log(`${v.name} left for good (stopped in ${ms} ms); ${joined.name} joined`)
    } else {
      await stop(v, 'SIGKILL')
      await sleep(3_000)
      await start(v)
      log(`${v.name} killed (kill -9) and back`)
    }
  }
  return slowestStop
}

/** Every acknowledged write sampled, read back from live vehicles in turn. */
async function verifyReads (live: Vehicle[], holders: Map<string, string[]>, bestHeight: Map<string, number>): Promise<void> {
  let reads = 0
  const badByChain = new Map<string, { count: number, first: string }>()
  // reads answered only by copies behind the newest table (an obsolete backup never released):
  // the up-to-date holders all left, so these writes went with them, by design
  const behindByChain = new Map<string, number>()
  for (const [chainId, keys] of acknowledged) {
    const all = [...keys.keys()]
    const sample = all.length > SAMPLE.first + SAMPLE.last ? [...all.slice(0, SAMPLE.first), ...all.slice(-SAMPLE.last)] : all
    for (const key of sample) {
      const reader = live[reads++ % live.length].proc as NodeProcess
      const url = chainId === 'shared'
        ? `${reader.httpUrl}/chains/shared/kv/${key}?consistency=quorum`
        : `${reader.httpUrl}/chains/${chainId}/read/${key}`
      let why: string | undefined
      try {
        const res = await request(url, {}, 20_000)
        if (res.status !== 200 || res.body.value !== keys.get(key)) {
          // flagged stale, and no live vehicle holds more of the chain than what answered: nothing newer is left
          const served = res.body?.chainHeight ?? res.body?.path?.find((p: { peerId: string }) => p.peerId === res.body?.servedBy)?.height
          if (res.body?.stale === true && typeof served === 'number' && (bestHeight.get(chainId) ?? 0) <= served) {
            behindByChain.set(chainId, (behindByChain.get(chainId) ?? 0) + 1)
            continue
          }
          why = `${res.status} ${JSON.stringify(res.body).slice(0, 3000)}`
          // what the reader knows of the chain (booth, leader, decided, table): says why it asked whom it asked
          const status = await request(`${reader.httpUrl}/status`).catch(() => undefined)
          const view = (status?.body?.chains as Array<{ id: string }> | undefined)?.find(c => c.id === chainId)
          why += ` — reader ${vehicles.find(v => v.proc === reader)?.name ?? '?'} (${reader.peerId}) knows: ${JSON.stringify(view ?? null)}` +
            (chainId === 'shared' ? `, shared: ${JSON.stringify(status?.body?.shared ?? null)}, peers: ${(status?.body?.peers as unknown[] | undefined)?.length ?? '?'}` : '')
          if (chainId === 'shared') {
            const metrics = await fetch(`${reader.httpUrl}/metrics`).then(async r => await r.text()).catch(() => '')
            why += `, metrics: ${metrics.split('\n').filter(l => l.startsWith('vguard_consensus') && l.includes('shared')).join('; ')}`
          }
        }
      } catch (err) {
        why = (err as Error).message
      }
      if (why == null) continue
      const bad = badByChain.get(chainId) ?? { count: 0, first: `${key}: ${why}` }
      bad.count++
      badByChain.set(chainId, bad)
    }
  }
  const name = (chainId: string): string => vehicles.find(v => v.proc?.peerId === chainId)?.name ?? chainId
  let lostByDesign = 0
  for (const [chainId, bad] of badByChain) {
    const heldBy = holders.get(chainId) ?? []
    if (heldBy.length === 0 && chainId !== 'shared') {
      lostByDesign++
      log(`chain of ${name(chainId)}: its vehicle and every backup left (${bad.count} reads failed, as they must)`)
    } else {
      failures.push(`chain of ${name(chainId)}: ${bad.count} acknowledged writes unreadable although ${heldBy.join(', ')} hold it; first: ${bad.first}`)
    }
  }
  for (const [chainId, count] of behindByChain) {
    log(`chain of ${name(chainId)}: ${count} reads answered only by a copy behind the newest table (its vehicle and active backups left)`)
  }
  log(`reads: ${reads} of acknowledged writes in ${acknowledged.size} chains; ${lostByDesign} chain(s) gone with every copy, ${behindByChain.size} with only older copies left`)
}

/** Holders of one chain must agree on its blocks: compares the block at the lowest height they all have. */
async function verifyBlocks (byChain: Map<string, Array<{ v: Vehicle, height: number }>>): Promise<void> {
  let compared = 0
  for (const [chainId, held] of byChain) {
    const height = Math.min(...held.map(h => h.height))
    if (held.length < 2 || height < 1) continue
    const hashes = new Map<string, string>()
    for (const { v } of held) {
      const res = await request(`${v.proc?.httpUrl ?? ''}/chains/${chainId}/blocks?from=${height}&to=${height}&transactions=false`).catch(() => undefined)
      const hash = res?.body?.blocks?.[0]?.hash
      if (typeof hash === 'string') hashes.set(v.name, hash)
    }
    compared++
    if (new Set(hashes.values()).size > 1) failures.push(`chain ${chainId}: different blocks at height ${height}: ${JSON.stringify(Object.fromEntries(hashes))}`)
  }
  log(`blocks: ${compared} chains held by 2 or more vehicles compared at their common height`)
}

/** The run, with its vehicles' dirs under `root`; resolves with the exit code. */
async function soak (root: string): Promise<number> {
  log(`${VEHICLES} vehicles for ${DURATION_MS / 1000} s, one leaves or is killed every ${CHURN_MS / 1000} s; data in ${root}`)
  let slowestStop = 0
  try {
    for (let i = 0; i < VEHICLES; i++) await addVehicle(root)
    void monitor()
    slowestStop = await churn(root)
  } finally {
    // a vehicle that failed to start or restart (spawnNode's ready limit) ends the soak: withRunRoot
    // stops the others (SIGKILL to one that does not stop), not left running after it exits (a review)
    run.over = true
  }
  // writes in flight finish (a commit waits at most its 5 s timeout)
  await sleep(6_000)
  const live = vehicles.filter(v => v.alive)
  const byChain = new Map<string, Array<{ v: Vehicle, height: number }>>()
  for (const v of live) {
    const status = await request(`${v.proc?.httpUrl ?? ''}/status`).catch(() => undefined)
    for (const chain of status?.body?.chains ?? []) {
      const held = byChain.get(chain.id) ?? []
      held.push({ v, height: chain.height })
      byChain.set(chain.id, held)
    }
  }
  const holders = new Map([...byChain].map(([id, held]) => [id, held.map(h => h.v.name)]))
  await verifyReads(live, holders, new Map([...byChain].map(([id, held]) => [id, Math.max(...held.map(h => h.height))])))
  await verifyBlocks(byChain)
  for (const v of live) {
    const ms = await stop(v, 'SIGTERM')
    slowestStop = Math.max(slowestStop, ms)
  }
  log(`writes acknowledged: ${counts.ok} own, ${counts.sharedOk} shared; failed (vehicles killed mid-write, elections): ${counts.failed} own, ${counts.sharedFailed} shared`)
  log(`slowest graceful stop: ${slowestStop} ms`)
  for (const f of failures) log(`FAIL ${f}`)
  log(failures.length === 0 ? 'soak passed' : `soak failed: ${failures.length} problem(s)`)
  return failures.length === 0 ? 0 : 1
}

// the root is removed (unless --keep) and every vehicle stopped when the soak ends, fails, or gets SIGINT, SIGTERM or SIGHUP
process.exit(await withRunRoot({ name: 'soak', prefix: 'vguard-soak-', keep: values.keep }, soak))
