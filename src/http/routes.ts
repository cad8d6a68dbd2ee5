import type { FastifyInstance } from 'fastify'
import type { VGuardNode } from '../node/index.ts'

export interface StatusBody {
  peerId: string
  addresses: string[]
  network: string
  peers: Array<{ peerId: string, addresses: string[] }>
}

export function statusOf (node: VGuardNode): StatusBody {
  return {
    peerId: node.peerId.toString(),
    addresses: node.multiaddrs.map(m => m.toString()),
    network: node.config.network,
    peers: node.peers()
  }
}

export function registerRoutes (server: FastifyInstance, node: VGuardNode): void {
  server.get('/health', async () => ({ ok: node.status === 'started', peerId: node.peerId.toString() }))
  server.get('/status', async () => statusOf(node))
}
