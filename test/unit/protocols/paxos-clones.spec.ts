import { describe, it, expect } from 'vitest'
import { CloneWatch } from '../../../src/protocols/paxos/clones.ts'

describe('paxos - two processes that run one identity', () => {
  function watch (): { w: CloneWatch, at: (ms: number) => void } {
    let now = 0
    return { w: new CloneWatch(() => now, 30_000), at: (ms) => { now = ms } }
  }

  /** An instance id as the transport gives it (16 bytes in hex), named `name`; '' stays none. */
  const id = (name: string): string => name === '' ? '' : name.padEnd(32, '0')

  /** The connection a process's streams come over (one per instance here). */
  const conn = (instance: string): string => `conn-${instance}`

  /** A stream of `instance` that spoke and stays open. */
  function speaks (w: CloneWatch, peer: string, instance: string): void {
    w.opened(peer, id(instance), conn(instance))
    w.heard(peer, id(instance))
  }

  /** A stream of `instance` that spoke and closed. */
  function spoke (w: CloneWatch, peer: string, instance: string): void {
    speaks(w, peer, instance)
    w.closed(peer, id(instance), conn(instance))
  }

  it('a restart is no clone: the old instance\'s stream is closed, or it never speaks again', () => {
    const { w, at } = watch()
    spoke(w, 'p', 'x')
    at(1_000)
    speaks(w, 'p', 'y')
    expect(w.held('p')).toBe(false)
    expect(w.cloned('p')).toBe(false)
  })

  it('a new instance while the old one\'s stream is open is held until that stream closes (a killed process\'s socket)', () => {
    const { w, at } = watch()
    speaks(w, 'p', 'x')
    at(1_000)
    speaks(w, 'p', 'y')
    expect(w.held('p')).toBe(true)
    expect(w.heldPeers()).toEqual(['p'])
    // held, not confirmed: whether x still runs is asked on its connection
    expect(w.confirmed('p')).toBe(false)
    expect(w.confirmedPeers()).toEqual([])
    expect(w.olderConnections('p')).toEqual([conn('x')])
    w.closed('p', id('x'), conn('x'))
    expect(w.held('p')).toBe(false)
    expect(w.olderConnections('p')).toEqual([])
  })

  it('an older instance whose connection answers a ping while a newer one speaks is a clone for certain', () => {
    const { w, at } = watch()
    speaks(w, 'p', 'x')
    at(1_000)
    speaks(w, 'p', 'y')
    w.answered('p', conn('x'))
    expect(w.confirmed('p')).toBe(true)
    expect(w.confirmedPeers()).toEqual(['p'])
    // asked once: it is not asked again
    expect(w.olderConnections('p')).toEqual([])
    // a ping answered on the newer one's connection says nothing of the older one
    const other = watch()
    speaks(other.w, 'q', 'x')
    other.at(1_000)
    speaks(other.w, 'q', 'y')
    other.w.answered('q', conn('y'))
    expect(other.w.confirmed('q')).toBe(false)
    expect(other.w.olderConnections('q')).toEqual([conn('x')])
  })

  it('counts the streams of one connection: the instance stays open until the last of them closes', () => {
    const { w, at } = watch()
    speaks(w, 'p', 'x')
    speaks(w, 'p', 'x')
    at(1_000)
    speaks(w, 'p', 'y')
    w.closed('p', id('x'), conn('x'))
    expect(w.held('p')).toBe(true)
    w.closed('p', id('x'), conn('x'))
    expect(w.held('p')).toBe(false)
  })

  it('an instance that speaks after another took over is a clone, until one of them is silent for the window', () => {
    const { w, at } = watch()
    spoke(w, 'p', 'x')
    at(1_000)
    speaks(w, 'p', 'y')
    expect(w.held('p')).toBe(false)
    at(2_000)
    // x again, on a new stream: two processes
    speaks(w, 'p', 'x')
    expect(w.cloned('p')).toBe(true)
    at(20_000)
    w.heard('p', id('y'))
    w.closed('p', id('x'), conn('x'))
    expect(w.held('p')).toBe(true)
    expect(w.confirmed('p')).toBe(true)
    // x stopped: y alone for the window
    at(32_001)
    w.heard('p', id('y'))
    expect(w.held('p')).toBe(false)
    w.prune()
    expect(w.heldPeers()).toEqual([])
  })

  it('tracks nothing for a peer that names no instance (an earlier build), and forgets silent peers', () => {
    const { w, at } = watch()
    speaks(w, 'old', '')
    spoke(w, 'p', 'x')
    expect(w.held('old')).toBe(false)
    at(40_000)
    w.prune()
    // a peer that comes back with another instance after a long silence: a restart
    speaks(w, 'p', 'z')
    expect(w.held('p')).toBe(false)
  })

  it('tracks no instance id of another length than 16 bytes: a peer cannot fill the watch with long ones', () => {
    const { w } = watch()
    for (const long of ['ab'.repeat(17), 'c'.repeat(2 * 1024 * 1024)]) {
      w.opened('p', long, 'conn')
      w.heard('p', long)
    }
    speaks(w, 'p', 'x')
    expect(w.held('p')).toBe(false)
    expect((w as unknown as { peers: Map<string, Map<string, unknown>> }).peers.get('p')?.size).toBe(1)
  })

  it('keeps a few instances per peer: one that floods them cannot grow the watch', () => {
    const { w } = watch()
    for (let i = 0; i < 100; i++) {
      spoke(w, 'p', `i${i}`)
    }
    expect(w.held('p')).toBe(false)
    expect((w as unknown as { peers: Map<string, Map<string, unknown>> }).peers.get('p')?.size).toBeLessThanOrEqual(4)
  })
})
