/**
 * The benchmarks stop their in-process nodes through stopNodes (bench/support.ts):
 * each awaited a bare `node.stop()`, and unlike a vehicle process a node in the
 * bench's own process cannot be killed, so one stop that hung held the whole run
 * for good. A real node stops as before; one whose stop never ends is given up
 * on after the grace, and the run is told to exit once its figures are out.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createVGuardNode } from '../../../src/node/index.ts'
import type { VGuardNode } from '../../../src/node/index.ts'
import { stopNodes, stopsAbandoned } from '../../../bench/support.ts'

describe('bench - stopping in-process nodes', () => {
  const dirs: string[] = []
  afterEach(async () => {
    await Promise.all(dirs.splice(0).map(async d => { await rm(d, { recursive: true, force: true }) }))
  })

  it('stops a real node, and gives up on one whose stop never ends after the grace', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vguard-stop-nodes-'))
    dirs.push(dir)
    const node = await createVGuardNode({ dataDir: dir, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, network: `stop-nodes-${process.pid}` })
    await node.start()
    let stopped = false
    node.addEventListener('node:stopped', () => { stopped = true })
    await stopNodes([node, undefined])
    expect(stopped).toBe(true)
    expect(stopsAbandoned()).toBe(false)

    // a stand-in for a node hung in its stop: only its peer id and stop are used
    const hung = { peerId: node.peerId, stop: async () => await new Promise<void>(() => {}) } as unknown as VGuardNode
    await stopNodes([hung], 200)
    expect(stopsAbandoned()).toBe(true)
  })
})
