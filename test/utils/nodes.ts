import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createVGuardNode } from '../../src/node/index.ts'
import type { VGuardNode, VGuardNodeOptions } from '../../src/node/index.ts'
import { startHttpApi } from '../../src/http/server.ts'
import type { HttpApi, HttpApiInit } from '../../src/http/server.ts'
import { waitFor } from './wait.ts'

/** Shared options for real-socket tests: loopback, port 0, mDNS off, fast reconnects. */
export function createBaseOptions (overrides: Partial<VGuardNodeOptions> & { dataDir: string }): VGuardNodeOptions {
  return {
    listen: ['/ip4/127.0.0.1/tcp/0'],
    network: `test-${process.pid}`,
    mdns: false,
    reconnectInterval: 250,
    ...overrides
  }
}

/** Tracks nodes, HTTP APIs and temp dirs made by a test so teardown closes, stops and removes all of them. */
export class TestCluster {
  readonly nodes: VGuardNode[] = []
  private readonly dirs: string[] = []
  private readonly apis: HttpApi[] = []

  /** Serves a node's HTTP API on 127.0.0.1, a free port; closed by teardown. */
  async http (node: VGuardNode, init: HttpApiInit = {}): Promise<HttpApi> {
    const api = await startHttpApi(node, { port: 0, ...init })
    this.apis.push(api)
    return api
  }

  async tempDir (prefix = 'vguard-test-'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), prefix))
    this.dirs.push(dir)
    return dir
  }

  async create (overrides: Partial<VGuardNodeOptions> = {}): Promise<VGuardNode> {
    const dataDir = overrides.dataDir ?? await this.tempDir()
    const node = await createVGuardNode(createBaseOptions({ ...overrides, dataDir }))
    this.nodes.push(node)
    return node
  }

  async stopNode (node: VGuardNode): Promise<void> {
    await node.stop()
    this.nodes.splice(this.nodes.indexOf(node), 1)
  }

  async teardown (): Promise<void> {
    await Promise.all(this.apis.splice(0).map(async a => { await a.close() }))
    await Promise.allSettled(this.nodes.map(async n => { await n.stop() }))
    this.nodes.length = 0
    await Promise.all(this.dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
    this.dirs.length = 0
  }
}

/** Who a node takes for the shared chain's leader now (undefined: none known). */
export function sharedLeader (node: VGuardNode): string | undefined {
  return node.consensus.driver.shared()?.leader()
}

export function fullyConnected (nodes: VGuardNode[]): boolean {
  return nodes.every(n => n.peers().length === nodes.length - 1)
}

/** n started nodes, all bootstrapping to the first (peer exchange does the rest), fully connected. */
export async function connectedSwarm (cluster: TestCluster, n: number, overrides: Partial<VGuardNodeOptions> = {}): Promise<VGuardNode[]> {
  const first = await cluster.create(overrides)
  await first.start()
  const rest = await Promise.all(Array.from({ length: n - 1 }, async () => await cluster.create({ bootstrap: [first.multiaddrs[0].toString()], ...overrides })))
  await Promise.all(rest.map(async r => { await r.start() }))
  const nodes = [first, ...rest]
  const deadline = Date.now() + 30_000
  while (!fullyConnected(nodes)) {
    if (Date.now() > deadline) throw new Error(`swarm of ${n} did not connect within 30 s`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
  return nodes
}

/** A vehicle A (on `dataDir` if given) and a vehicle B its booths can name, k = 1, started and connected. */
export async function vehiclePair (cluster: TestCluster, dataDir?: string): Promise<{ a: VGuardNode, b: VGuardNode }> {
  const a = await cluster.create({ kBackups: 1, ...(dataDir == null ? {} : { dataDir }) })
  await a.start()
  const b = await cluster.create({ kBackups: 1, bootstrap: [a.multiaddrs[0].toString()] })
  await b.start()
  await waitFor(() => fullyConnected([a, b]))
  return { a, b }
}

/** Started nodes with these priorities, the first the others' bootstrap, fully connected. */
export async function prioritySwarm (cluster: TestCluster, priorities: number[], overrides: Partial<VGuardNodeOptions> = {}): Promise<VGuardNode[]> {
  const first = await cluster.create({ priority: priorities[0], ...overrides })
  await first.start()
  const bootstrap = [first.multiaddrs[0].toString()]
  const rest = await Promise.all(priorities.slice(1).map(async (priority) => await cluster.create({ bootstrap, priority, ...overrides })))
  await Promise.all(rest.map(async n => { await n.start() }))
  const nodes = [first, ...rest]
  await waitFor(() => fullyConnected(nodes), { timeout: 30_000, message: `${nodes.length} nodes connected` })
  return nodes
}
