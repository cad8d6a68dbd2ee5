/**
 * `npm run bench`: prints a table of figures, or with `-- --json` one JSON object
 * per line; `-- --only NAME` runs one benchmark. Every ratio compares against a
 * raw baseline measured in the same run, so figures from different machines
 * read the same way.
 */
import { spawnSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import type { Benchmark, BenchResult } from './types.ts'
import { benchmarks as discovery } from './discovery.ts'
import { benchmarks as storage } from './storage.ts'
import { benchmarks as sync } from './sync.ts'
import { benchmarks as replicate } from './replicate.ts'
import { benchmarks as consensus } from './consensus.ts'
import { canUnshareNetwork, inPrivateNetns, reexecInPrivateNetns } from '../src/swarm/netns.ts'
import { withBenchRoot } from './run-root.ts'
import { stopsAbandoned } from './support.ts'

// mDNS and everything else the benchmarks send stay inside a private namespace when we can make one
const NETNS_MARKER = 'VGUARD_BENCH_IN_NETNS'

// every benchmark module exports `benchmarks`; add new ones to this list
const registry: Benchmark[] = [...discovery, ...storage, ...sync, ...replicate, ...consensus]

function formatNumber (n: number): string {
  if (!Number.isFinite(n)) return String(n)
  if (Math.abs(n) >= 100) return n.toFixed(0)
  if (Math.abs(n) >= 1) return n.toFixed(2)
  return n.toPrecision(3)
}

function printRow (r: BenchResult): void {
  const ratio = r.ratio != null ? `${r.ratio.toFixed(2)}x of ${formatNumber(r.baseline ?? 0)}` : ''
  console.log(`${r.bench.padEnd(12)} ${r.figure.padEnd(52)} ${`${formatNumber(r.value)} ${r.unit}`.padStart(16)}  ${ratio.padEnd(22)} ${r.target ?? ''}`)
}

const USAGE = 'usage: npm run bench [-- [--only NAME] [--json] [--list] [--help]]'

async function main (): Promise<void> {
  let values: { json?: boolean, only?: string, list?: boolean, help?: boolean }
  try {
    values = parseArgs({ options: { json: { type: 'boolean', default: false }, only: { type: 'string' }, list: { type: 'boolean', default: false }, help: { type: 'boolean', default: false } } }).values
  } catch (err) {
    // a flag it does not take was a stack trace
    console.error(`${(err as Error).message}\n${USAGE}`)
    process.exitCode = 2
    return
  }
  if (values.help === true) {
    console.log(`${USAGE}\n  --only NAME  run one benchmark (--list names them)\n  --json       one JSON object per figure\n  --list       the benchmarks and what each measures`)
    return
  }
  if (values.list === true) {
    for (const b of registry) console.log(`${b.name.padEnd(14)} ${b.description}`)
    return
  }
  const selected = values.only != null ? registry.filter(b => b.name === values.only) : registry
  if (selected.length === 0) {
    console.error(`no benchmark named ${String(values.only)}; try --list`)
    process.exitCode = 2
    return
  }
  if (values.json !== true) {
    console.log(`${'bench'.padEnd(12)} ${'figure'.padEnd(52)} ${'value'.padStart(16)}  ${'ratio (same-run baseline)'.padEnd(22)} target`)
  }
  await withBenchRoot(async () => { await runAll(selected, values.json === true) })
  // a node whose stop was given up on still holds sockets and timers: the figures are out, the run is over
  if (stopsAbandoned()) process.exit(process.exitCode ?? 0)
}

async function runAll (selected: Benchmark[], json: boolean): Promise<void> {
  for (const b of selected) {
    // Each benchmark starts on a disk with nothing left to write back: the ones
    // before it wrote GiBs (64 MiB chains, copies, baselines), and the kernel
    // writing them back ran during the next one (the consensus row of 1,000
    // txs/write gave 18k txs/s after the others, ~25k alone). Waiting for it here
    // makes `npm run bench` measure what `--only NAME` does; each benchmark
    // still pays for every write of its own.
    spawnSync('sync', { stdio: 'ignore' })
    await b.run((r) => {
      if (json) console.log(JSON.stringify(r))
      else printRow(r)
    })
  }
}

if (!inPrivateNetns(NETNS_MARKER) && canUnshareNetwork()) {
  process.exitCode = await reexecInPrivateNetns(NETNS_MARKER)
} else {
  await main()
}
