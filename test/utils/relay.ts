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
  private cutOff = false
  private held?: Array<() => void>
  /** Only what goes to the target is held. */
  private oneWay = false
  readonly server: Server

  constructor (target: number) {
    this.server = createServer((inbound) => {
      const outbound = connect(target, '127.0.0.1')
      this.sockets.push(inbound, outbound)
      const carry = (to: Socket, toTarget: boolean) => (chunk: Buffer): void => {
        if (this.cutOff) return
        if (this.held != null && (toTarget || !this.oneWay)) this.held.push(() => { to.write(chunk) })
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
    this.oneWay = direction === 'to-target'
  }

  resume (): void {
    const held = this.held ?? []
    this.held = undefined
    this.oneWay = false
    for (const deliver of held) deliver()
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
