/**
 * A vehicle that lost its database, as its operator meets it: a real
 * `vguard-node start` process whose `db/` went, its key and `own-chain.json`
 * kept, with no other vehicle around. It must not begin its chain again (its
 * backups, when they return, hold the one it acknowledged): its writes fail
 * with a clear error, `status` says why and what to do, and deleting the
 * file is how the operator says the chain is lost for good.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnNode } from '../../src/swarm/process.ts'
import type { NodeProcess } from '../../src/swarm/process.ts'
import type { StatusBody } from '../../src/http/routes.ts'
import { DB_DIR } from '../../src/storage/database.ts'
import { OWN_CHAIN_FILE } from '../../src/node/own-chain-marker.ts'
import { runCli, LOCAL } from '../utils/cli.ts'
import { waitFor } from '../utils/wait.ts'

describe('vguard-node CLI - a vehicle that lost its database', () => {
  let dir: string | undefined
  let node: NodeProcess | undefined
  let other: NodeProcess | undefined
  afterEach(async () => {
    await node?.stop('SIGKILL')
    await other?.stop('SIGKILL')
    other = undefined
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  const start = async (dataDir: string): Promise<NodeProcess> =>
    await spawnNode({ args: ['--data-dir', dataDir, '--network', 'cli-lost', ...LOCAL], readyTimeout: 30_000 })
  const cli = async (p: NodeProcess, [command, ...args]: string[]): Promise<Awaited<ReturnType<typeof runCli>>> =>
    await runCli([command, '--http', new URL(p.httpUrl).host, ...args])
  const put = async (p: NodeProcess, key: string, value: string): Promise<Response> =>
    await fetch(`${p.httpUrl}/chains/${p.peerId}/kv/${encodeURIComponent(key)}`, { method: 'PUT', body: value })

  it('beside a vehicle that holds its chain, gets it back at once and says so in its log', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-cli-lost-'))
    other = await start(join(dir, 'backup'))
    const dataDir = join(dir, 'v0')
    const startBeside = async (): Promise<NodeProcess> =>
      await spawnNode({ args: ['--data-dir', dataDir, '--network', 'cli-lost', ...LOCAL, '--bootstrap', other?.addresses[0] ?? ''], readyTimeout: 30_000 })
    node = await startBeside()
    // the backup is connected when the write's round runs: it takes the chain
    await waitFor(async () => (JSON.parse((await cli(node as NodeProcess, ['status', '--json'])).stdout) as StatusBody).peers.length === 1, { message: 'the two connected' })
    const put = await cli(node, ['put', 'gps/1', '--', '-27.71,-51.09'])
    expect(put.code, put.stderr).toBe(0)
    await waitFor(async () => (JSON.parse((await cli(other as NodeProcess, ['status', '--json'])).stdout) as StatusBody).chains.some(c => c.id === node?.peerId && c.height === 1), { message: 'the backup holds the chain' })
    expect(await node.stop('SIGTERM')).toBe(0)

    await rm(join(dataDir, DB_DIR), { recursive: true })
    node = await startBeside()
    await waitFor(() => node?.output.some(l => l.startsWith('own chain back from the vehicles that hold it: height 1')) === true, { timeout: 30_000, message: 'the log says the chain is back' })
    const got = await cli(node, ['get', 'gps/1'])
    expect(got.stdout.trim()).toBe('-27.71,-51.09')
  })

  it('writes nothing until its chain is back, says so in status, and begins anew only once its operator deletes own-chain.json', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-cli-lost-'))
    const dataDir = join(dir, 'v0')
    node = await start(dataDir)
    const first = await cli(node, ['put', 'gps/1', '--', '-27.71,-51.09'])
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/^committed: chain \w+ height 1 /)
    expect(await node.stop('SIGTERM')).toBe(0)

    await rm(join(dataDir, DB_DIR), { recursive: true })
    node = await start(dataDir)
    expect(node.output.join('\n')).toMatch(/^warning: this node lost its database \(.* says database .*\): it fetches its own chain back from the vehicles that hold it as they connect; until then its writes and local reads of it fail/m)
    const local = await fetch(`${node.httpUrl}/chains/${node.peerId}/kv/gps%2F1`)
    expect(local.status).toBe(503)
    expect(await local.json()).toMatchObject({ error: 'OwnChainNotBackError' })
    const refused = await put(node, 'gps/2', '-27.72,-51.10')
    expect(refused.status, await refused.clone().text()).toBe(503)
    const body = await refused.json() as { error: string, message: string }
    expect(body.error).toBe('ChainRecoveryError')
    expect(body.message).toContain('this vehicle lost its database')
    expect(body.message).toContain(`delete ${join(dataDir, OWN_CHAIN_FILE)}`)
    const viaCli = await cli(node, ['put', 'gps/2', '--', '-27.72,-51.10'])
    expect(viaCli.code).toBe(1)
    expect(viaCli.stderr).toContain('ChainRecoveryError')
    const status = JSON.parse((await cli(node, ['status', '--json'])).stdout) as StatusBody
    expect(status.ownChainLost).toContain(`${join(dataDir, OWN_CHAIN_FILE)} says database`)
    expect(status.ownChainLost).not.toContain('are away')
    expect(status.chains.find(c => c.id === node?.peerId)).toBeUndefined()
    expect((await cli(node, ['status'])).stdout).toContain('own chain  lost its database: its writes wait until a vehicle holding the chain hands it back')
    expect(await node.stop('SIGTERM')).toBe(0)

    // the operator says the chain is lost for good: it begins again at height 1
    await rm(join(dataDir, OWN_CHAIN_FILE))
    node = await start(dataDir)
    const again = await put(node, 'gps/2', '-27.72,-51.10')
    expect(again.status).toBe(200)
    expect(await again.json()).toMatchObject({ chainId: node.peerId, height: 1 })
    const after = JSON.parse((await cli(node, ['status', '--json'])).stdout) as StatusBody
    expect(after.ownChainLost).toBeNull()
    expect((await cli(node, ['status'])).stdout).not.toMatch(/^own chain/m)
  })
})
