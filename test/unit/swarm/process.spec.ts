/**
 * spawnNode runs `vguard-node start` through an optional wrapper command.
 * When the spawn itself fails (a wrapper that does not exist: ENOENT), the
 * child emits 'error' and never 'exit': spawnNode waited for an exit that
 * never came, and its caller hung (a review).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { describe, it, expect } from 'vitest'
import { spawnNode, stopWithin } from '../../../src/swarm/process.ts'

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

/** A real process that prints "up" once its SIGTERM handler is set (or, with `ignoreTerm` false, none is). */
async function child (ignoreTerm: boolean): Promise<ChildProcess> {
  const code = `${ignoreTerm ? "process.on('SIGTERM', () => {});" : ''} setInterval(() => {}, 1000); console.log('up')`
  const proc = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] })
  await new Promise<void>((resolve, reject) => {
    proc.stdout.once('data', () => { resolve() })
    proc.once('error', reject)
  })
  return proc
}

describe('swarm - process - stopWithin', () => {
  it('stops a process that honours SIGTERM without killing it', async () => {
    const proc = await child(false)
    expect(await stopWithin(proc, 10_000)).toBe(false)
    expect(proc.signalCode).toBe('SIGTERM')
  })

  it('kills a process still running after the grace (one hung in its stop held the demo for good)', async () => {
    const proc = await child(true)
    expect(await stopWithin(proc, 300)).toBe(true)
    expect(proc.signalCode).toBe('SIGKILL')
    // one that has exited already: nothing to stop, nothing killed
    expect(await stopWithin(proc, 300)).toBe(false)
  })
})
