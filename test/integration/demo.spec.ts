/**
 * `vguard-node demo`, the main job (`npm run demo`), as a user runs it: a real
 * process that starts a swarm of vehicle processes, commits GPS fixes,
 * ends booths, lets one vehicle leave and reads its data through its
 * backups, then stops every vehicle cleanly. Without a namespace each vehicle's
 * dashboard and metrics are reachable while it runs.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import type { Server } from 'node:net'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BIN_PATH } from '../../src/swarm/process.ts'
import { sample, scrape } from '../utils/prometheus.ts'
import { waitFor } from '../utils/wait.ts'

interface DemoRun {
  child: ChildProcess
  output: () => string
  exit: Promise<number | null>
}

function runDemo (args: string[], env: NodeJS.ProcessEnv = process.env, detached = false): DemoRun {
  const child = spawn(process.execPath, [BIN_PATH, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env, detached })
  let output = ''
  child.stdout?.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { output += d.toString() })
  const exit = new Promise<number | null>((resolve) => { child.once('close', (code) => { resolve(code) }) })
  return { child, output: () => output, exit }
}

/** What every demo must show: the swarm started, one vehicle left, its data was read through its backups, all stopped. */
function expectTheStory (output: string, vehicles: number): void {
  expect(output).toContain(`demo: ${vehicles} vehicles started`)
  // a log (not a terminal) tells each event once: the notes in every frame read as if it happened again
  expect(output.match(/vehicle-\d leaves \(its process stops\)/g)).toHaveLength(1)
  expect(output).toMatch(/vehicle-\d reads vehicle-\d's \S+ while vehicle-\d is offline:\n\s+path: .+\n\s+served by vehicle-\d at height [1-9].*\n\s+vehicle-\d lists vehicle-\d's keys the same way: (all|the first) [1-9]\d* under \S+\/ \(\S+ … \S+\), from vehicle-\d/)
  expect(output).not.toContain('booth failed')
  // where its data comes from, and the third phase seen (a probe: "never announced"), each once per vehicle
  expect(output).toMatch(/demo: each vehicle replays the GPS trip in \S*gps-dataset\.csv \(1467 fixes\), 5 per booth/)
  const releases = output.match(/^vehicle-\d: backups now .+; told .+ to release (its copy|their copies)/gm) ?? []
  expect(releases.length).toBeGreaterThan(0)
  expect(new Set(releases.map(r => r.slice(0, r.indexOf(':')))).size).toBe(releases.length)
  // a log is not a wall of tables (a probe's two minutes: 1,105 lines), nor of the same warning
  const lines = output.split('\n').filter(l => l.trim() !== '')
  expect(new Set(lines.filter(l => /^vehicle-\d: /.test(l))).size).toBe(lines.filter(l => /^vehicle-\d: /.test(l)).length)
  expect(output.trimEnd().split('\n').pop()).toBe('demo: stopped cleanly')
}

/** A peer id no vehicle of a demo has (another test's key). */
const STRANGER = '12D3KooWRBhwfeP2Y4TCx1SM6s3rUWmrZSaoKD8r3pwUHyREoJRV'

/** A listener standing for a host outside the demo; it records who connects. */
async function outsider (): Promise<{ server: Server, address: string, dials: string[] }> {
  const dials: string[] = []
  const server = createServer((socket) => { dials.push(String(socket.remoteAddress)); socket.destroy() })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  return { server, address: `/ip4/127.0.0.1/tcp/${(server.address() as { port: number }).port}`, dials }
}

/** The demo unshares a network namespace of its own only as root on Linux. */
const ROOT = process.platform === 'linux' && process.getuid?.() === 0

describe('cli - demo', () => {
  if (!ROOT) it.skip('the demo in its private network namespace needs root on Linux (run npm test as root)', () => {})
  const running: DemoRun[] = []
  const servers: Server[] = []
  afterEach(async () => {
    for (const server of servers.splice(0)) server.close()
    for (const run of running.splice(0)) {
      if (run.child.exitCode == null) run.child.kill('SIGINT')
      await run.exit
    }
  })

  it('runs a swarm on 127.0.0.1, serves each vehicle\'s dashboard and metrics, and stops cleanly; a VGUARD_BOOTSTRAP in the environment does not make its vehicles dial out', async () => {
    // the compose file sets VGUARD_BOOTSTRAP: `docker compose exec vehicle vguard-node demo` had vehicle-1 dial the real fleet
    const { server, address, dials } = await outsider()
    const run = runDemo(['--vehicles', '4', '--duration', '20', '--no-netns'], { ...process.env, VGUARD_BOOTSTRAP: address })
    running.push(run)
    servers.push(server)
    await waitFor(() => run.output().includes('demo: live dashboards: '), { timeout: 60_000, message: 'the demo lists its dashboards' })
    const line = run.output().split('\n').find(l => l.startsWith('demo: live dashboards: ')) ?? ''
    const dashboards = line.slice('demo: live dashboards: '.length).trim().split(/\s+/)
    expect(dashboards).toHaveLength(4)
    for (const url of dashboards) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/dashboard$/)
    const first = dashboards[0].replace(/\/dashboard$/, '')
    expect((await fetch(dashboards[0])).status).toBe(200)
    // the story commits GPS fixes through consensus on every vehicle's own chain
    await waitFor(async () => (sample(await scrape(first), 'vguard_blocks_committed_total', { role: 'own' }) ?? 0) > 0, { timeout: 30_000, message: 'vehicle-1 committed a block' })

    expect(await run.exit).toBe(0)
    expectTheStory(run.output(), 4)
    // why there is no namespace: asked, not for want of root
    expect(run.output()).toContain('demo: no private network namespace (--no-netns): mDNS off')
    expect(dials, 'connections from the demo\'s vehicles to the address in VGUARD_BOOTSTRAP').toEqual([])
  }, 120_000)

  it.skipIf(!ROOT)('as root: runs the vehicles in a private network namespace with mDNS, and stops cleanly, whatever VGUARD_NO_MDNS and VGUARD_ALLOW say', async () => {
    // with them the vehicles never met ("discovering…" for good) or refused each other
    const run = runDemo(['--vehicles', '4', '--duration', '20'], { ...process.env, VGUARD_NO_MDNS: '1', VGUARD_ALLOW: STRANGER })
    running.push(run)
    expect(await run.exit).toBe(0)
    const output = run.output()
    expect(output).toContain('demo: running the vehicles in a private network namespace')
    expect(output).toContain('(mDNS)')
    // their loopback is not ours: no dashboard URLs that could not be opened
    expect(output).not.toContain('live dashboards')
    expectTheStory(output, 4)
  }, 120_000)

  // found with `timeout 45 npm run demo`: the process group's SIGTERM and the one forwarded into the
  // namespace both reached the demo; the second killed it mid-stop, leaving vehicles' data behind
  it('a SIGTERM that comes twice stops it cleanly (exit 0) and leaves no data behind', async () => {
    const tmp = await mkdtemp(join(tmpdir(), 'vguard-demo-test-'))
    try {
      const run = runDemo(['--vehicles', '3', '--no-netns'], { ...process.env, TMPDIR: tmp })
      running.push(run)
      await waitFor(() => run.output().includes('demo: 3 vehicles started'), { timeout: 60_000, message: 'the demo started its vehicles' })
      // (node's compile cache lives in TMPDIR too)
      const demoDirs = async (): Promise<string[]> => (await readdir(tmp)).filter(name => name.startsWith('vguard-demo-'))
      expect(await demoDirs()).toHaveLength(1)
      // and once more as it says it stopped: the process lingers a few ms before it exits (a probe's
      // repeat then took Node's default action, exit 143)
      run.child.stdout?.on('data', (d: Buffer) => { if (d.toString().includes('demo: stopped cleanly')) run.child.kill('SIGTERM') })
      run.child.kill('SIGTERM')
      run.child.kill('SIGTERM')
      expect(await run.exit, run.output()).toBe(0)
      expect(run.output().trimEnd().split('\n').slice(-2)).toEqual(['demo: stopping vehicles', 'demo: stopped cleanly'])
      expect(await demoDirs()).toEqual([])
    } finally {
      await rm(tmp, { recursive: true, force: true })
    }
  }, 120_000)

  // two vehicles: a booth is the proposer and one other, so one backup at most; it said k = 2 (a probe, 2026-12-03)
  it('says the k its vehicles run with: one backup with two vehicles', async () => {
    const run = runDemo(['--vehicles', '2', '--no-netns'])
    running.push(run)
    await waitFor(() => run.output().includes('demo: 2 vehicles started'), { timeout: 60_000, message: 'the demo started its vehicles' })
    expect(run.output()).toMatch(/^demo: 2 vehicles started on network "demo-\d+" \(bootstrap\), k = 1; Ctrl-C to stop$/m)
    run.child.kill('SIGTERM')
    expect(await run.exit, run.output()).toBe(0)
  }, 120_000)

  it('Ctrl-C, which signals the whole process group, vehicles included, stops it cleanly (exit 0)', async () => {
    // detached: a process group of its own, as a terminal gives a command; its vehicles join it
    const run = runDemo(['--vehicles', '3', '--no-netns'], process.env, true)
    running.push(run)
    // mid-story: requests to the vehicles are in flight when they get the signal too
    await waitFor(() => /consensus +height/.test(run.output()), { timeout: 60_000, message: 'the demo runs its story' })
    process.kill(-(run.child.pid as number), 'SIGINT')
    expect(await run.exit, run.output()).toBe(0)
    expect(run.output().trimEnd().split('\n').pop()).toBe('demo: stopped cleanly')
  }, 120_000)
})
