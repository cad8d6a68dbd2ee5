/** A TCP relay between two test nodes that can cut the link off silently or hold what crosses it. */
import { createServer, connect } from 'node:net'
import type { Server, Socket, AddressInfo } from 'node:net'

/**
 * Carries bytes between a dialer and `target` until cut(); then carries nothing and closes nothing.
 * pause() holds what arrives (a peer whose process stalls) until resume() delivers it, in order:
 * both ways, or only what goes to the target (`'to-target'`: the target stops taking bytes while
 * what it sends still arrives).
 */
export class Relay {
  private readonly sockets: Socket[] = []
  /** The relay's sockets to the target, one per connection. */
  private readonly toTarget: Socket[] = []
  private cutOff = false
  private held?: Array<() => void>
  /** What the target sends is carried at this rate (bytes per second), queued in order: a slow link. */
  private rate?: number
  /** Chunks waiting for the throttled link, in order. */
  private readonly queue: Array<{ to: Socket, chunk: Buffer }> = []
  private readonly timers = new Set<ReturnType<typeof setTimeout>>()
  /** Which way pause() holds bytes. */
  private holding: 'both' | 'to-target' = 'both'
  readonly server: Server

  constructor (target: number) {
    this.server = createServer((inbound) => {
      const outbound = connect(target, '127.0.0.1')
      this.sockets.push(inbound, outbound)
      this.toTarget.push(outbound)
      const carry = (to: Socket, toTarget: boolean) => (chunk: Buffer): void => {
        if (this.cutOff) return
        if (this.held != null && (this.holding === 'both' || toTarget)) this.held.push(() => { to.write(chunk) })
        else if (this.rate != null && !toTarget) this.throttled(to, chunk, this.rate)
        else to.write(chunk)
      }
      inbound.on('data', carry(outbound, true))
      outbound.on('data', carry(inbound, false))
      inbound.on('error', () => {})
      outbound.on('error', () => {})
    })
  }

  pause (direction: 'both' | 'to-target' = 'both'): void {
    this.held ??= []
    this.holding = direction
  }

  resume (): void {
    const held = this.held ?? []
    this.held = undefined
    this.holding = 'both'
    for (const deliver of held) deliver()
  }

  /**
   * Stops reading what the target sends, holding nothing: its socket's send
   * buffer fills and its writes wait (a peer that stopped reading, with the
   * connection open), where pause() takes the bytes in.
   */
  stopReadingTarget (): void {
    for (const s of this.toTarget) s.pause()
  }

  /** Carries what the target sends at `bytesPerSecond`, in order (bytes queue here, as at a slow link's sender). */
  throttle (bytesPerSecond: number): void {
    this.rate = bytesPerSecond
  }

  /** Queues `chunk` for `to` and carries the queue, one chunk after another, at `rate` bytes per second. */
  private throttled (to: Socket, chunk: Buffer, rate: number): void {
    this.queue.push({ to, chunk })
    if (this.queue.length === 1) this.carryNext(rate)
  }

  private carryNext (rate: number): void {
    const next = this.queue[0]
    if (next == null || this.cutOff) return
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      this.queue.shift()
      if (!this.cutOff) next.to.write(next.chunk)
      this.carryNext(rate)
    }, 1000 * next.chunk.byteLength / rate)
    this.timers.add(timer)
  }

  async listen (): Promise<number> {
    await new Promise<void>(resolve => this.server.listen(0, '127.0.0.1', resolve))
    return (this.server.address() as AddressInfo).port
  }

  cut (): void {
    this.cutOff = true
  }

  async close (): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
    for (const s of this.sockets) s.destroy()
    await new Promise(resolve => this.server.close(resolve))
  }
}
