/**
 * A real LAN on one machine: N hosts as Linux network namespaces joined by a
 * bridge, one `vguard-node start` process per host, mDNS between them over
 * real multicast.
 *
 *   <prefix>-br   bridge namespace: br0 (IGMP snooping off), ports h1..hN;
 *                 partition() moves ports onto bridges of their own (part1..)
 *   <prefix>-hI   host namespace:   lo up, lan0 = 10.A.B.I/24 (veth to hI),
 *                                   224.0.0.0/4 and default routes via lan0
 *
 * Everything lives in namespaces created here, never in the caller's own
 * namespace: this works from a root shell on the host network and inside the
 * `unshare -n` of scripts/run-tests.mjs alike. The veth pairs are created in
 * the bridge namespace and their host end moved straight into the host's.
 *
 * A node's HTTP API listens on 127.0.0.1 inside its namespace, which the test
 * process cannot reach. Each host therefore gets a small fetch agent: a Node
 * process started inside the namespace (on first use) that reads requests as
 * JSON lines on stdin and answers on stdout. It exits when our end of the pipe
 * closes, so it never outlives the test process.
 *
 * Names carry our pid and a counter (parallel runs never clash); destroy()
 * kills every process and deletes every namespace, a process 'exit' hook does
 * the same as a last resort, nodes die with the test process (pdeathsig), and
 * createLan() sweeps namespaces left by runs whose process is gone.
 */
import { execFile, spawn, spawnSync } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readdirSync, rmSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { randomInt } from 'node:crypto'
import { spawnNode } from '../../src/swarm/process.ts'
import type { NodeProcess, SpawnNodeInit } from '../../src/swarm/process.ts'
import type { StatusBody } from '../../src/http/routes.ts'

const PREFIX = 'vglan'
const HOST_IF = 'lan0'
let counter = 0

/**
 * `setpriv --pdeathsig KILL` (util-linux) makes the kernel kill a node when
 * the test process dies, even by SIGKILL; without it the next createLan()
 * sweeps the leftovers.
 */
const PDEATHSIG = spawnSync('setpriv', ['--pdeathsig', 'KILL', 'true'], { stdio: 'ignore' }).status === 0
  ? ['setpriv', '--pdeathsig', 'KILL']
  : []

export interface LanOptions {
  /** Number of hosts. */
  hosts: number
  /** Network name passed to every node unless a start() overrides it. @default unique per LAN */
  network?: string
  /** mDNS query interval passed to every node. @default 1000 */
  mdnsInterval?: number
}

export interface LanResponse {
  status: number
  body: string
  json: <T = unknown>() => T
}

export interface LanHostStartOptions {
  env?: NodeJS.ProcessEnv
  readyTimeout?: number
}

export interface LanHost {
  /** 0-based position in lan.hosts. */
  readonly index: number
  /** Network namespace name. */
  readonly netns: string
  /** The host's LAN address (no prefix length). */
  readonly address: string
  /** Data dir reused by every start(): the node keeps its peer id across restarts. */
  readonly dataDir: string
  /** The running (or last) vguard-node process. */
  readonly process?: NodeProcess
  /** Peer id of the last started process. */
  readonly peerId: string
  /**
   * Starts `vguard-node start` in this host's namespace. Defaults, each unless
   * args has the flag: --data-dir, --listen /ip4/<address>/tcp/0,
   * --http 127.0.0.1:0, --network <lan network>, --mdns-interval. mDNS is on
   * and there is no bootstrap list.
   */
  start: (args?: string[], options?: LanHostStartOptions) => Promise<NodeProcess>
  /** Signals the process (default SIGKILL) and resolves with its exit code. */
  kill: (signal?: NodeJS.Signals) => Promise<number | null>
  /** HTTP request inside the namespace; a path is relative to the node's HTTP API. */
  fetch: (pathOrUrl: string, init?: { method?: string, body?: string, headers?: Record<string, string>, timeout?: number }) => Promise<LanResponse>
  /** GET /status of the running node. */
  status: () => Promise<StatusBody>
  /** Pulls the cable: the bridge port goes down, packets to and from the host vanish (no error, no RST). */
  cutOff: () => Promise<void>
  /** Plugs the cable back in. */
  reconnect: () => Promise<void>
}

export interface Lan {
  readonly hosts: LanHost[]
  /** Default network name of the nodes. */
  readonly network: string
  /** The LAN's subnet, e.g. 10.23.7.0/24. */
  readonly subnet: string
  readonly bridgeNetns: string
  /**
   * Splits the LAN: the hosts of each group (indexes into hosts) are moved to
   * a bridge of their own and hear only each other, multicast included;
   * hosts in no group stay together on the main bridge. Packets across the
   * split vanish (no error, no RST), as when a cable is pulled. Replaces any
   * earlier partition. (This kernel has no bridge VLAN filtering, so a group
   * is a bridge, not a VLAN.)
   */
  partition: (groups: number[][]) => Promise<void>
  /** Every host back on the main bridge (cables pulled with cutOff stay out). */
  heal: () => Promise<void>
  /** Kills every process and deletes every namespace and data dir; safe to call twice. */
  destroy: () => Promise<void>
}

export class LanError extends Error {
  static name = 'LanError'
  constructor (message = 'LAN harness failed') {
    super(message)
    this.name = 'LanError'
  }
}

async function ip (...args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile('ip', args, { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err != null) reject(new LanError(`ip ${args.join(' ')}: ${stderr.trim() || err.message}`))
      else resolve()
    })
  })
}

/** Requests answered inside the namespace; the agent is a separate process. */
const AGENT_SCRIPT = `
const rl = require('node:readline').createInterface({ input: process.stdin })
const send = (o) => { process.stdout.write(JSON.stringify(o) + '\\n') }
rl.on('line', async (line) => {
  let req
  try { req = JSON.parse(line) } catch { return }
  try {
    const res = await fetch(req.url, { method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(req.timeout) })
    send({ id: req.id, status: res.status, body: await res.text() })
  } catch (err) {
    send({ id: req.id, error: String(err && err.message ? err.message : err) })
  }
})
rl.on('close', () => { process.exit(0) })
`

interface AgentReply { id: number, status?: number, body?: string, error?: string }

class FetchAgent {
  private child?: ChildProcess
  private nextId = 0
  private readonly pending = new Map<number, { resolve: (r: AgentReply) => void }>()

  constructor (private readonly netns: string) {}

  private ensure (): ChildProcess {
    if (this.child != null && this.child.exitCode == null && this.child.signalCode == null) return this.child
    const child = spawn('ip', ['netns', 'exec', this.netns, process.execPath, '-e', AGENT_SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] })
    createInterface({ input: child.stdout }).on('line', (line) => {
      const reply = JSON.parse(line) as AgentReply
      this.pending.get(reply.id)?.resolve(reply)
      this.pending.delete(reply.id)
    })
    child.once('exit', () => {
      for (const [id, p] of this.pending) p.resolve({ id, error: `fetch agent in ${this.netns} exited` })
      this.pending.clear()
    })
    child.stdin?.on('error', () => {})
    this.child = child
    return child
  }

  async request (req: { url: string, method?: string, body?: string, headers?: Record<string, string>, timeout: number }): Promise<LanResponse> {
    const id = this.nextId++
    const reply = await new Promise<AgentReply>((resolve) => {
      this.pending.set(id, { resolve })
      this.ensure().stdin?.write(JSON.stringify({ id, ...req }) + '\n')
    })
    if (reply.error != null) throw new LanError(`${req.method ?? 'GET'} ${req.url} in ${this.netns}: ${reply.error}`)
    const body = reply.body ?? ''
    return { status: reply.status ?? 0, body, json: <T>() => JSON.parse(body) as T }
  }

  kill (): void {
    this.child?.stdin?.end()
    this.child?.kill('SIGKILL')
  }
}

/** Everything a LAN owns, so both destroy() and the exit hook can free it. */
interface Resources {
  namespaces: string[]
  processes: Set<ChildProcess>
  agents: FetchAgent[]
  root: string
}

const live = new Set<Resources>()
let exitHookInstalled = false

function killAllSync (res: Resources): void {
  for (const child of res.processes) child.kill('SIGKILL')
  for (const agent of res.agents) agent.kill()
  for (const ns of res.namespaces) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' })
  spawnSync('rm', ['-rf', res.root], { stdio: 'ignore' })
}

function installExitHook (): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.on('exit', () => {
    for (const res of live) killAllSync(res)
  })
}

function pidAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Deletes namespaces and data dirs left by LAN runs whose process no longer
 * exists (a crashed test run); any process still inside is killed by pid first.
 */
function sweepStale (): void {
  const list = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout ?? ''
  for (const line of list.split('\n')) {
    const name = line.split(' ')[0]
    const match = name.match(new RegExp(`^${PREFIX}-(\\d+)-\\d+-(br|h\\d+)$`))
    if (match == null || pidAlive(Number(match[1]))) continue
    const pids = spawnSync('ip', ['netns', 'pids', name], { encoding: 'utf8' }).stdout ?? ''
    for (const pid of pids.split('\n').map(Number).filter(p => p > 0)) {
      try { process.kill(pid, 'SIGKILL') } catch {}
    }
    spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' })
  }
  for (const entry of readdirSync(tmpdir())) {
    const match = entry.match(new RegExp(`^${PREFIX}-(\\d+)-\\d+-`))
    if (match != null && !pidAlive(Number(match[1]))) rmSync(join(tmpdir(), entry), { recursive: true, force: true })
  }
}

function hasFlag (args: string[], flag: string): boolean {
  return args.some(a => a === flag || a.startsWith(`${flag}=`))
}

class LanHostImpl implements LanHost {
  process?: NodeProcess
  private readonly agent: FetchAgent

  constructor (
    readonly index: number,
    readonly netns: string,
    readonly address: string,
    readonly dataDir: string,
    private readonly bridgeNetns: string,
    private readonly port: string,
    private readonly defaults: { network: string, mdnsInterval: number },
    private readonly res: Resources
  ) {
    this.agent = new FetchAgent(netns)
    res.agents.push(this.agent)
  }

  get peerId (): string {
    if (this.process == null) throw new LanError(`host ${this.index} has not been started`)
    return this.process.peerId
  }

  async start (args: string[] = [], options: LanHostStartOptions = {}): Promise<NodeProcess> {
    if (this.process != null && this.process.child.exitCode == null && this.process.child.signalCode == null) {
      throw new LanError(`host ${this.index} is already running`)
    }
    const all = [...args]
    if (!hasFlag(args, '--data-dir')) all.push('--data-dir', this.dataDir)
    if (!hasFlag(args, '--listen')) all.push('--listen', `/ip4/${this.address}/tcp/0`)
    if (!hasFlag(args, '--http')) all.push('--http', '127.0.0.1:0')
    if (!hasFlag(args, '--network')) all.push('--network', this.defaults.network)
    if (!hasFlag(args, '--mdns-interval')) all.push('--mdns-interval', String(this.defaults.mdnsInterval))
    const init: SpawnNodeInit = {
      args: all,
      wrapper: ['ip', 'netns', 'exec', this.netns, ...PDEATHSIG],
      env: options.env,
      readyTimeout: options.readyTimeout ?? 30_000
    }
    const proc = await spawnNode(init)
    this.res.processes.add(proc.child)
    void proc.exited.then(() => { this.res.processes.delete(proc.child) })
    this.process = proc
    return proc
  }

  async kill (signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.process == null) return null
    return await this.process.stop(signal)
  }

  async fetch (pathOrUrl: string, init: { method?: string, body?: string, headers?: Record<string, string>, timeout?: number } = {}): Promise<LanResponse> {
    let url = pathOrUrl
    if (pathOrUrl.startsWith('/')) {
      if (this.process == null) throw new LanError(`host ${this.index} has not been started`)
      url = this.process.httpUrl + pathOrUrl
    }
    return await this.agent.request({ url, ...init, timeout: init.timeout ?? 5_000 })
  }

  async status (): Promise<StatusBody> {
    const res = await this.fetch('/status')
    if (res.status !== 200) throw new LanError(`GET /status on host ${this.index}: HTTP ${res.status} ${res.body}`)
    return res.json<StatusBody>()
  }

  async cutOff (): Promise<void> {
    await ip('-n', this.bridgeNetns, 'link', 'set', this.port, 'down')
  }

  async reconnect (): Promise<void> {
    await ip('-n', this.bridgeNetns, 'link', 'set', this.port, 'up')
  }
}

/** Builds the LAN; on any failure everything made so far is removed again. */
export async function createLan (options: LanOptions): Promise<Lan> {
  if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > 250) {
    throw new LanError(`hosts: 1 to 250, got ${String(options.hosts)}`)
  }
  installExitHook()
  sweepStale()
  const id = `${PREFIX}-${process.pid}-${counter++}`
  const res: Resources = {
    namespaces: [],
    processes: new Set(),
    agents: [],
    root: await mkdtemp(join(tmpdir(), `${id}-`))
  }
  live.add(res)
  const subnet = [10, randomInt(256), randomInt(256)]
  const bridgeNetns = `${id}-br`
  const defaults = { network: options.network ?? `lan-${process.pid}-${counter}`, mdnsInterval: options.mdnsInterval ?? 1000 }
  const hosts: LanHostImpl[] = []
  const ports: string[] = []
  /** Bridges made for partitions so far, reused by later ones. */
  let groupBridges = 0
  let destroyed = false

  const destroy = async (): Promise<void> => {
    if (destroyed) return
    destroyed = true
    await Promise.allSettled(hosts.map(async h => await h.kill('SIGKILL')))
    for (const child of res.processes) child.kill('SIGKILL')
    for (const agent of res.agents) agent.kill()
    await Promise.allSettled(res.namespaces.map(async ns => { await ip('netns', 'del', ns) }))
    await rm(res.root, { recursive: true, force: true })
    live.delete(res)
  }

  try {
    await ip('netns', 'add', bridgeNetns)
    res.namespaces.push(bridgeNetns)
    await ip('-n', bridgeNetns, 'link', 'add', 'br0', 'type', 'bridge')
    // link-local multicast is flooded anyway; snooping off keeps every group flowing
    await ip('-n', bridgeNetns, 'link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '0')
    await ip('-n', bridgeNetns, 'link', 'set', 'br0', 'up')
    await Promise.all(Array.from({ length: options.hosts }, async (_, i) => {
      const netns = `${id}-h${i + 1}`
      const port = `h${i + 1}`
      const address = `${subnet.join('.')}.${i + 1}`
      await ip('netns', 'add', netns)
      res.namespaces.push(netns)
      await ip('-n', bridgeNetns, 'link', 'add', port, 'type', 'veth', 'peer', 'name', HOST_IF, 'netns', netns)
      await ip('-n', bridgeNetns, 'link', 'set', port, 'master', 'br0', 'up')
      ports[i] = port
      await ip('-n', netns, 'link', 'set', 'lo', 'up')
      await ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', HOST_IF)
      await ip('-n', netns, 'link', 'set', HOST_IF, 'up')
      // multicast-dns sends on the route to 224.0.0.251: make that the LAN, not lo
      await ip('-n', netns, 'route', 'add', '224.0.0.0/4', 'dev', HOST_IF)
      await ip('-n', netns, 'route', 'add', 'default', 'dev', HOST_IF)
      const dataDir = join(res.root, `host${i + 1}`)
      hosts[i] = new LanHostImpl(i, netns, address, dataDir, bridgeNetns, port, defaults, res)
    }))
  } catch (err) {
    await destroy()
    throw err
  }

  const moveTo = async (bridge: string, indexes: number[]): Promise<void> => {
    await Promise.all(indexes.map(async i => { await ip('-n', bridgeNetns, 'link', 'set', ports[i], 'master', bridge) }))
  }
  const partition = async (groups: number[][]): Promise<void> => {
    const listed = groups.flat()
    if (listed.some(i => !Number.isInteger(i) || ports[i] == null) || new Set(listed).size !== listed.length) {
      throw new LanError(`partition: groups must name distinct hosts 0..${ports.length - 1}, got ${JSON.stringify(groups)}`)
    }
    for (; groupBridges < groups.length; groupBridges++) {
      const bridge = `part${groupBridges + 1}`
      await ip('-n', bridgeNetns, 'link', 'add', bridge, 'type', 'bridge')
      await ip('-n', bridgeNetns, 'link', 'set', bridge, 'type', 'bridge', 'mcast_snooping', '0')
      await ip('-n', bridgeNetns, 'link', 'set', bridge, 'up')
    }
    await moveTo('br0', ports.map((_, i) => i).filter(i => !listed.includes(i)))
    await Promise.all(groups.map(async (group, g) => { await moveTo(`part${g + 1}`, group) }))
  }
  const heal = async (): Promise<void> => { await moveTo('br0', ports.map((_, i) => i)) }

  return {
    hosts,
    network: defaults.network,
    subnet: `${subnet.join('.')}.0/24`,
    bridgeNetns,
    partition,
    heal,
    destroy
  }
}

/** Peer ids a host's /status lists as connected. */
export async function connectedPeerIds (host: LanHost): Promise<string[]> {
  const status = await host.status()
  return status.peers.map(p => p.peerId).sort()
}
