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

  async listen (): Promise<number> {
    await new Promise<void>(resolve => this.server.listen(0, '127.0.0.1', resolve))
    return (this.server.address() as AddressInfo).port
  }

  cut (): void {
    this.cutOff = true
  }

  async close (): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise(resolve => this.server.close(resolve))
  }
}
