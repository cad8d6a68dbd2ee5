/**
 * spawnNode runs `vguard-node start` through an optional wrapper command.
 * When the spawn itself fails (a wrapper that does not exist: ENOENT), the
 * child emits 'error' and never 'exit': spawnNode waited for an exit that
 * never came, and its caller hung (a review).
 */
import { describe, it, expect } from 'vitest'
import { spawnNode } from '../../../src/swarm/process.ts'

describe('swarm - process - spawnNode', () => {
  it('a command that cannot be spawned fails at once with NodeSpawnError', async () => {
    const started = performance.now()
    const err = await spawnNode({ wrapper: ['/nonexistent/vguard-wrapper'], args: [], readyTimeout: 5_000 }).catch((err: Error) => err)
    expect(err).toBeInstanceOf(Error)
    expect((err as Error).name).toBe('NodeSpawnError')
    expect((err as Error).message).toContain('/nonexistent/vguard-wrapper')
    expect((err as Error).message).toContain('ENOENT')
    expect((err as Error).cause).toMatchObject({ code: 'ENOENT' })
    // not the ready limit: the spawn failed, there is nothing to wait for
    expect(performance.now() - started).toBeLessThan(2_000)
  }, 10_000)
})
