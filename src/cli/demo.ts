/**
 * The demo: a local swarm of vehicles, shown in a live table.
 *
 * mDNS multicast leaves by the default interface, and the demo may only send to
 * loopback and to namespaces it creates. So as root on Linux it re-runs itself
 * in a private network namespace with just `lo` up (mDNS then works between
 * the vehicles over loopback); otherwise mDNS is off and vehicles bootstrap
 * over 127.0.0.1. It says which it chose.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { spawnNode, stopWithin } from '../swarm/process.ts'
import type { NodeProcess } from '../swarm/process.ts'
import { removeListenersLater } from '../swarm/signals.ts'
import { STOP_SIGNALS } from './stop-signal.ts'
import { fetchStatus, renderTable } from './table.ts'
import { endBooth, FIXES_PER_BOOTH, leavingVehicle, mayLeave, offlineRead, readerOf } from './demo-story.ts'
import { consensusRound, renderConsensus } from './demo-consensus.ts'
import type { Vehicle } from './demo-story.ts'
import type { StatusBody } from '../http/status.ts'
import { canUnshareNetwork, inPrivateNetns, reexecInPrivateNetns } from '../swarm/netns.ts'
import { GPS_DATASET, loadGpsFixes } from '../workload/gps.ts'

export interface DemoFlags {
  vehicles: number
  duration?: number
  netns: boolean
}

const IN_NETNS_ENV = 'VGUARD_DEMO_IN_NETNS'
/** The demo's k, unless its vehicles are too few for it: a booth is the proposer and the others at most. */
const K_BACKUPS = 2
/** A note said again within this long is not printed again. */
const REPEAT_NOTE_MS = 30_000
/** Output to a log (not a terminal): the table at most this often. */
const LOG_TABLE_MS = 10_000
/** Seconds before one vehicle leaves, when no --duration says otherwise. */
const DEFAULT_LEAVE_AFTER = 12
/** A vehicle still running this long after SIGTERM is killed (graceful stops take ~1-2 s). */
const VEHICLE_STOP_TIMEOUT = 15_000

export async function runDemo (flags: DemoFlags, out: (line: string) => void): Promise<void> {
  const inNetns = inPrivateNetns(IN_NETNS_ENV)
  if (!inNetns && flags.netns && canUnshareNetwork()) {
    out('demo: running the vehicles in a private network namespace (root on Linux): mDNS discovery over loopback')
    const code = await reexecInPrivateNetns(IN_NETNS_ENV)
    if (code !== 0) throw new Error(`demo in network namespace exited with ${code}`)
    return
  }
  const useMdns = inNetns
  if (!inNetns) {
    const why = flags.netns ? 'needs root on Linux' : '--no-netns'
    out(`demo: no private network namespace (${why}): mDNS off, vehicles bootstrap over 127.0.0.1`)
  }

  // read before any vehicle starts: a data set missing or holding no fix fails the demo at once
  const gps = loadGpsFixes()
  const network = `demo-${process.pid}`
  const root = await mkdtemp(join(tmpdir(), 'vguard-demo-'))
  const vehicles: NodeProcess[] = []
  // two vehicles make booths of two: one backup at most, and it said k = 2 (a probe, 2026-12-03)
  const k = Math.min(K_BACKUPS, flags.vehicles - 1)
  // Listening for the whole run, not once: a signal sent to the process group
  // (npm, timeout, a service manager) reaches this process and, through the
  // parent that forwards it from outside the namespace, again. The first
  // starts the stop; the rest must not kill it halfway, leaving vehicles and
  // their data dirs behind.
  const state = { stopping: false }
  let stopRequested = (): void => {}
  const stopSignal = new Promise<void>((resolve) => { stopRequested = resolve })
  const onSignal = (): void => { state.stopping = true; stopRequested() }
  // SIGHUP too, as `vguard-node start` takes it: the terminal closing left the data dirs behind
  // (the demo died with 129), and one sent to this pid alone left the vehicles running (a review)
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal)
  const stopAll = async (): Promise<void> => {
    await Promise.all(vehicles.map(async v => await stopWithin(v.child, VEHICLE_STOP_TIMEOUT)))
    await rm(root, { recursive: true, force: true })
  }
  try {
    for (let i = 0; i < flags.vehicles && !state.stopping; i++) {
      const args = [
        '--data-dir', join(root, `vehicle-${i + 1}`),
        '--listen', '/ip4/127.0.0.1/tcp/0',
        '--http', '127.0.0.1:0',
        '--network', network,
        '--mdns-interval', '1000',
        '--k-backups', String(k)
      ]
      if (!useMdns) {
        args.push('--no-mdns')
        // without multicast, each vehicle bootstraps to every one started before it: with the first
        // alone, a first that crashed before peer exchange told the others of each other left them
        // apart for good (height 0, no booth); peer exchange does the rest
        for (const earlier of vehicles) args.push('--bootstrap', earlier.addresses[0])
      }
      const vehicle = await startVehicle(args, state, stopSignal)
      if (vehicle == null) break
      vehicles.push(vehicle)
    }
    if (!state.stopping) {
      out(`demo: ${vehicles.length} vehicles started on network "${network}" (${useMdns ? 'mDNS' : 'bootstrap'}), k = ${k}; Ctrl-C to stop${flags.duration != null ? `, or after ${flags.duration} s` : ''}`)
      out(`demo: each vehicle replays the GPS trip in ${relative(process.cwd(), GPS_DATASET) || GPS_DATASET} (${gps.fixes.length} fixes${gps.skipped > 0 ? `, ${gps.skipped} malformed line(s) skipped` : ''}), ${FIXES_PER_BOOTH} per booth`)
      // inside the private namespace their loopback is not the host's: no browser could reach them
      if (!inNetns) out(`demo: live dashboards: ${vehicles.map(v => `${v.httpUrl}/dashboard`).join('  ')}`)
      await runStory(vehicles, flags, state, stopSignal, out)
    }
    out('demo: stopping vehicles')
  } finally {
    try {
      await stopAll()
    } finally {
      // a repeat that comes as the process exits must not turn its exit code 0 into 130 or 143
      removeListenersLater(() => {
        for (const signal of STOP_SIGNALS) process.off(signal, onSignal)
      })
    }
  }
  out('demo: stopped cleanly')
}

/** Lines of a crashed vehicle's output its note shows. */
const CRASH_OUTPUT_LINES = 5

function crashNote (v: Vehicle): string {
  const { child, output } = v.process
  const how = child.exitCode != null ? `exited with ${child.exitCode}` : `was killed (${child.signalCode ?? 'by a signal'})`
  const last = output.slice(-CRASH_OUTPUT_LINES).map(line => `  | ${line}`)
  return [`${v.name} ${how}, unasked: the story goes on without it${last.length > 0 ? '; its last output:' : ''}`, ...last].join('\n')
}

/** How long the vehicle that leaves waits for a released vehicle to show the redirect through. */
const REDIRECT_WAIT_MS = 3_000

/**
 * The vehicles' statuses as they are now (the round's were read before its
 * booths): a release told in the last booth reaches its vehicle a moment after
 * the booth's answer, so they are read again, for a while, until some vehicle
 * keeps a forward pointer the read after the leave can go through.
 */
async function releasedPointers (vehicles: Vehicle[], stopSignal: Promise<void>): Promise<Map<string, StatusBody>> {
  const until = Date.now() + REDIRECT_WAIT_MS
  for (;;) {
    const rows = await Promise.all(vehicles.map(async v => await fetchStatus(v.name, v.process)))
    const statuses = new Map(rows.flatMap(r => r.status != null ? [[r.peerId, r.status] as [string, StatusBody]] : []))
    if (leavingVehicle(vehicles, statuses).redirect || Date.now() >= until) return statuses
    if (await requestedWithin(stopSignal, 250)) return statuses
  }
}

/** How long after a failed request to wait for the stop signal that may explain it. */
const SIGNAL_GRACE = 2_000

async function requestedWithin (stopSignal: Promise<void>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<boolean>(resolve => { timer = setTimeout(() => { resolve(false) }, ms) })
  try {
    return await Promise.race([stopSignal.then(() => true), late])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Starts one vehicle; undefined when the stop explains why it did not start.
 * Ctrl-C reaches the process group, so the vehicle being spawned too, before
 * it has its handlers: it dies, and its "exited before ready" was an error
 * and exit 1 (a review), or came a moment before this process heard the signal.
 */
async function startVehicle (args: string[], state: { stopping: boolean }, stopSignal: Promise<void>): Promise<NodeProcess | undefined> {
  try {
    // set by these flags alone: a VGUARD_* variable (the docker image's, the compose file's) would
    // have them dial out (VGUARD_BOOTSTRAP), never meet (VGUARD_NO_MDNS) or refuse each other (VGUARD_ALLOW)
    return await spawnNode({ args, inheritVguardEnv: false })
  } catch (err) {
    if (state.stopping || await requestedWithin(stopSignal, SIGNAL_GRACE)) return undefined
    throw err
  }
}

/**
 * The story of the paper: every vehicle ends booths (GPS fixes), backups are
 * chosen and released, shown live; midway one vehicle stops and another reads
 * its data through its backups.
 */
async function runStory (processes: NodeProcess[], flags: DemoFlags, state: { stopping: boolean }, stopSignal: Promise<void>, out: (line: string) => void): Promise<void> {
  const vehicles: Vehicle[] = processes.map((p, i) => ({ name: `vehicle-${i + 1}`, process: p, next: i * 200 }))
  const started = Date.now()
  const deadline = flags.duration != null ? started + flags.duration * 1000 : Infinity
  const leaveAt = started + (flags.duration != null ? flags.duration * 500 : DEFAULT_LEAVE_AFTER * 1000)
  const done = Promise.race([stopSignal, new Promise<void>((resolve) => {
    if (Number.isFinite(deadline)) setTimeout(() => { state.stopping = true; resolve() }, deadline - Date.now()).unref()
  })])
  let seed = 7
  const random = (): number => { seed = (seed * 16807) % 2147483647; return seed / 2147483647 }
  const tty = process.stdout.isTTY === true
  const notes: string[] = []
  // the same note round after round (a swarm too small for k backups warns on every booth) is told
  // once per REPEAT_NOTE_MS: a probe's three vehicles printed 44 such lines in 10 s
  const told = new Map<string, number>()
  const note = (text: string | undefined): void => {
    if (text == null) return
    const at = told.get(text)
    if (at != null && Date.now() - at < REPEAT_NOTE_MS) return
    told.set(text, Date.now())
    notes.push(text)
  }
  let last = ''
  let lastShown = 0
  /** Notes a log has been given (not a terminal). */
  let printed = 0
  let left: Vehicle | undefined
  // a vehicle that exits unasked (a crash, kill -9) leaves the story as the one that left does: the
  // others waited for it to mesh for good, at height 0, and nothing said why (a review)
  const crashed = new Set<Vehicle>()
  for (const v of vehicles) {
    void v.process.exited.then(() => {
      if (state.stopping || v === left) return
      crashed.add(v)
      notes.push(crashNote(v))
    })
  }
  const driving = (): Vehicle[] => vehicles.filter(v => v !== left && !crashed.has(v))
  let round = 0
  while (!state.stopping) {
    const crashes = crashed.size
    try {
      const rows = await Promise.all(vehicles.map(async v => await fetchStatus(v.name, v.process)))
      const meshed = rows.filter(r => r.status != null).every(r => (r.status?.peers.length ?? 0) >= driving().length - 1)
      if (meshed) {
        // GPS fixes through consensus (and now and then the shared chain), then the booth story
        for (const text of await consensusRound(driving(), round++)) note(text)
        // every vehicle still driving ends one booth per round
        const results = await Promise.all(driving().map(async v => await endBooth(v, driving(), random, vehicles)))
        for (const r of results) note(r)
      }
      // one leaves only while another can read it, and others go on committing (mayLeave)
      if (left == null && Date.now() >= leaveAt && meshed && mayLeave(driving().length, vehicles.length)) {
        const stillDriving = driving()
        const statuses = await releasedPointers(stillDriving, stopSignal)
        left = leavingVehicle(stillDriving, statuses).vehicle
        notes.push(`${left.name} leaves (its process stops); its chain stays readable through its backups`)
        // SIGKILL past the grace, as at the end: a vehicle hung in its stop held the whole demo
        if (await stopWithin(left.process.child, VEHICLE_STOP_TIMEOUT)) notes.push(`${left.name} did not stop within ${VEHICLE_STOP_TIMEOUT / 1000} s of SIGTERM: killed`)
        notes.push(...await offlineRead(readerOf(left, stillDriving), left, vehicles, statuses))
      }
      // a terminal redraws one screen with the latest notes; a log (a file, a pipe) gets each note
      // once, after the table (with the notes in each table, every event read as if it happened again)
      const table = [renderTable(rows, tty ? notes.slice(-8) : []), '', ...renderConsensus(rows)].join('\n')
      // a log gets the table every LOG_TABLE_MS, not on every change (a probe's 2 minutes were 1,105 lines of tables)
      if (table !== last && (tty || Date.now() - lastShown >= LOG_TABLE_MS)) {
        out(tty ? `\x1b[2J\x1b[H${table}` : table)
        last = table
        lastShown = Date.now()
      }
      if (!tty) for (const note of notes.slice(printed)) out(note)
      printed = notes.length
    } catch (err) {
      // a signal to the process group (Ctrl-C, timeout, npm) reaches the vehicles
      // too: one may stop before this process hears it, and a request to it
      // fails. That is the stop, not an error of the demo
      if (await requestedWithin(stopSignal, SIGNAL_GRACE)) return
      // nor is a request to a vehicle that crashed under it: the note says so, the story goes on
      if (crashed.size > crashes) continue
      throw err
    }
    await Promise.race([done, new Promise(resolve => setTimeout(resolve, 700))])
  }
}
