/**
 * A node whose own chain's consensus stopped (a save failed: a full disk, a
 * broken SD card) takes no write again until it is restarted. What operators
 * and orchestrators look at says so: GET /health answers 503 with why (it
 * said 200 ok:true, and the Docker HEALTHCHECK kept the container healthy),
 * the dashboard names the problem in words, and the disk-free gauge says
 * NaN, as /status says null, once the free space cannot be told (it kept its
 * last figure, or read 0: a full disk).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { rm } from 'node:fs/promises'
import { TestCluster } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { runDashboard } from '../utils/dashboard-dom.ts'
import { runCli } from '../utils/cli.ts'
import { sample, scrape } from '../utils/prometheus.ts'
import { DASHBOARD_SCRIPT } from '../../src/http/dashboard/page.ts'
import type { StatusBody } from '../../src/http/status.ts'

describe('health, dashboard and metrics of a node that cannot go on', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  async function stoppedConsensus (): Promise<{ url: string, id: string }> {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const api = await cluster.http(node)
    const id = node.peerId.toString()
    expect((await fetch(`${api.url}/chains/${id}/kv/a`, { method: 'PUT', body: 'x' })).status).toBe(200)
    expect((await fetch(`${api.url}/health`)).status).toBe(200)
    // what a failed save does (paxos-replica.ts halt): the replica stops for good
    const replica = node.consensus.driver.replicaOf(id) as unknown as { halt: (err: Error) => void }
    replica.halt(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }))
    // every write fails from now on, until a restart
    expect((await fetch(`${api.url}/chains/${id}/kv/b`, { method: 'PUT', body: 'y' })).status).toBe(503)
    expect(sample(await scrape(api.url), 'vguard_consensus_failed_replicas', { kind: 'own' })).toBe(1)
    return { url: api.url, id }
  }

  it('GET /health answers 503 with the chain that takes no write until a restart, and why', async () => {
    const { url, id } = await stoppedConsensus()
    const res = await fetch(`${url}/health`)
    expect(res.status).toBe(503)
    expect(await res.json()).toEqual({ ok: false, peerId: id, status: 'started', failed: [{ chainId: id, why: expect.stringMatching(/ENOSPC/) }] })
  })

  it('the CLI still reads the node\'s own chain, and a write says why it fails', async () => {
    const { url, id } = await stoppedConsensus()
    const http = ['--http', new URL(url).host]
    // a command about the node's own chain asked /health for its peer id, whose 503 it took for an answer that is
    // no API's: every one exited 1 "answered HTTP 503 without the API's error shape" (a probe, 2026-12-03)
    const get = await runCli(['get', ...http, 'a'])
    expect(get.stderr).toBe('')
    expect(get).toMatchObject({ code: 0, stdout: 'x' })
    const blocks = await runCli(['blocks', ...http])
    expect(blocks.code, blocks.stderr).toBe(0)
    expect(blocks.stdout).toMatch(/^ +1 {2}[0-9a-f]{64} /m)
    const pins = await runCli(['pins', ...http])
    expect(pins).toMatchObject({ code: 0, stdout: `no pins in chain ${id}\n` })
    // the write's own answer says why
    const put = await runCli(['put', ...http, 'b', 'y'])
    expect(put.code).toBe(1)
    expect(put.stderr).toMatch(/\(ConsensusStoppedError, HTTP 503\)/)
  })

  it('a stopping node\'s 503 to the CLI is the API\'s error, said as such', async () => {
    const node = await cluster.create({ kBackups: 0 })
    await node.start()
    const api = await cluster.http(node)
    // every request now gets 503 UnavailableError, /health too: no peer id in it
    await api.drain(0)
    const get = await runCli(['get', '--http', new URL(api.url).host, 'a'])
    expect(get.code).toBe(1)
    expect(get.stderr).toMatch(/^error: the node is stopping: .* \(UnavailableError, HTTP 503\)\n$/)
  })

  it('the dashboard says that consensus stopped, and why', async () => {
    const { url } = await stoppedConsensus()
    const page = runDashboard(DASHBOARD_SCRIPT, url)
    try {
      await waitFor(() => /updated/.test(page.element('state').textContent), { message: 'the page rendered /status' })
      expect(page.element('state').textContent).toMatch(/^1 problem · updated/)
      expect(page.element('problems').text()).toMatch(/consensus STOPPED on its own chain: .*ENOSPC/)
    } finally {
      page.stop()
    }
  })

  it('the disk-free gauge says NaN once the free space cannot be told, as /status says null', async () => {
    const dataDir = await cluster.tempDir()
    const node = await cluster.create({ kBackups: 0, dataDir })
    await node.start()
    const { url } = await cluster.http(node)
    expect(sample(await scrape(url), 'vguard_storage_disk_free_bytes')).toBeGreaterThan(0)
    // the data dir's file system can no longer tell (here: the dir is gone, statfs answers ENOENT)
    await rm(dataDir, { recursive: true, force: true })
    expect((await (await fetch(`${url}/status`)).json() as StatusBody).storage.diskFree).toBeNull()
    // not the last figure, nor 0 (a full disk)
    expect(sample(await scrape(url), 'vguard_storage_disk_free_bytes')).toBeNaN()
  })
})
