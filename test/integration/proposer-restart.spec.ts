/**
 * A proposer killed with SIGKILL mid-write restarts from its data dir, runs
 * phase 1 with its booth before proposing again, and never forks its chain:
 * every acknowledged write is there, every height holds one block, each
 * linked to the one before. Real processes on loopback (compiled dist/).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnNode } from '../../src/swarm/process.ts'
import type { NodeProcess } from '../../src/swarm/process.ts'
import { waitFor } from '../utils/wait.ts'
import type { StatusBody } from '../../src/http/routes.ts'

interface BlockJson { height: number, hash: string, prevHash: string, ballot: { round: number, proposer: string } | null, transactions: Array<{ key: string, value: string }> }

async function json<T> (url: string, init?: RequestInit): Promise<{ status: number, body: T }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(15_000) })
  return { status: res.status, body: await res.json() as T }
}

describe('consensus - restarted proposer', () => {
  const processes: NodeProcess[] = []
  let root: string | undefined
  afterEach(async () => {
    await Promise.all(processes.map(async p => await p.stop('SIGKILL')))
    processes.length = 0
    if (root != null) await rm(root, { recursive: true, force: true })
  })

  it('killed -9 mid-write, restarted: phase 1, then the chain goes on without a fork', async () => {
    root = await mkdtemp(join(tmpdir(), 'vguard-restart-'))
    const network = `restart-${process.pid}`
    const args = (i: number, port = '0'): string[] => ['--data-dir', join(root as string, `v${i}`), '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--http', '127.0.0.1:0', '--network', network, '--no-mdns', '--k-backups', '2']
    const a = await spawnNode({ args: args(0) })
    processes.push(a)
    const port = a.addresses[0].split('/')[4]
    for (let i = 1; i < 4; i++) processes.push(await spawnNode({ args: [...args(i), '--bootstrap', a.addresses[0]] }))
    await waitFor(async () => (await json<StatusBody>(`${a.httpUrl}/status`)).body.peers.length === 3, { timeout: 30_000, message: 'a connected to 3 peers' })

    const acked = new Map<string, number>()
    const writer = async (w: number, url: () => string, count: number): Promise<void> => {
      for (let j = 0; j < count; j++) {
        const key = `w${w}/${j}`
        try {
          const res = await json<{ height: number }>(`${url()}/chains/${a.peerId}/kv/${encodeURIComponent(key)}`, { method: 'PUT', body: key })
          if (res.status === 200) acked.set(key, res.body.height)
        } catch {
          return
        }
      }
    }
    // eight writers; a dies once 40 writes are acknowledged
    const before = Array.from({ length: 8 }, async (_, w) => { await writer(w, () => a.httpUrl, 1_000) })
    await waitFor(() => acked.size >= 40, { message: '40 acknowledged writes' })
    await a.stop('SIGKILL')
    await Promise.all(before)
    const ackedBefore = acked.size

    // same data dir, same port: the booth members reconnect to it
    const again = await spawnNode({ args: args(0, port) })
    processes[0] = again
    expect(again.peerId).toBe(a.peerId)
    await waitFor(async () => (await json<StatusBody>(`${again.httpUrl}/status`)).body.peers.length === 3, { timeout: 30_000, message: 'restarted a reconnected' })
    await Promise.all(Array.from({ length: 4 }, async (_, w) => { await writer(100 + w, () => again.httpUrl, 10) }))
    expect(acked.size).toBe(ackedBefore + 40)

    // read the whole chain back from the restarted proposer
    const status = (await json<StatusBody>(`${again.httpUrl}/status`)).body
    const own = status.chains.find(c => c.id === a.peerId)
    const height = own?.height ?? 0
    const blocks: BlockJson[] = []
    for (let from = 1; from <= height; from += 100) {
      blocks.push(...(await json<{ blocks: BlockJson[] }>(`${again.httpUrl}/chains/${a.peerId}/blocks?from=${from}&to=${Math.min(height, from + 99)}`)).body.blocks)
    }
    expect(blocks.map(b => b.height)).toEqual(Array.from({ length: height }, (_, i) => i + 1))
    for (let i = 1; i < blocks.length; i++) expect(blocks[i].prevHash).toBe(blocks[i - 1].hash)
    const written = new Map<string, number>()
    for (const b of blocks) for (const tx of b.transactions) if (!written.has(tx.key)) written.set(tx.key, b.height)
    for (const [key, h] of acked) expect(written.get(key), key).toBe(h)
    // the restarted proposer ran phase 1 with a fresh, higher ballot before proposing
    const lastOld = blocks.filter(b => b.transactions.some(tx => /^w[0-7]\//.test(tx.key))).at(-1)
    const firstNew = blocks.find(b => b.transactions.some(tx => /^w10[0-3]\//.test(tx.key)))
    expect(firstNew?.ballot?.round).toBeGreaterThan(lastOld?.ballot?.round ?? Infinity)
    expect(own?.ballot?.proposer).toBe(a.peerId)
  })
})
