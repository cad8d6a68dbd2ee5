/**
 * A socket-free network for sync unit tests: each node's `dialProtocol`
 * opens an in-memory stream pair and hands the far end to the remote node's
 * registered handler (as kad-dht's test-dht does).
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { prefixLogger } from '@libp2p/logger'
import { streamPair } from '@libp2p/utils'
import type { Connection, PeerId, Stream, StreamHandler } from '@libp2p/interface'
import { sync } from '../../../../src/protocols/sync/index.ts'
import type { Sync, SyncComponents, SyncInit } from '../../../../src/protocols/sync/index.ts'
import { MemoryChainStore } from '../../../../src/storage/index.ts'
import type { ChainStore } from '../../../../src/storage/index.ts'

export interface TestNode {
  peerId: PeerId
  store: ChainStore
  service: Sync
  /** Protocol handlers by id, as libp2p.handle registered them. */
  handlers: Map<string, StreamHandler>
  /** Streams this node opened (to check they all ended). */
  opened: Stream[]
}

export class TestNetwork {
  readonly nodes: TestNode[] = []
  private readonly byId = new Map<string, TestNode>()

  async add (init: SyncInit = {}, store: ChainStore = new MemoryChainStore(), name = `node${this.nodes.length}`, authority?: SyncComponents['authority'], writes?: SyncComponents['writes']): Promise<TestNode> {
    const peerId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const handlers = new Map<string, StreamHandler>()
    const opened: Stream[] = []
    const libp2p = {
      handle: async (protocol: string | string[], handler: StreamHandler) => {
        for (const p of [protocol].flat()) handlers.set(p, handler)
      },
      unhandle: async (protocol: string | string[]) => {
        for (const p of [protocol].flat()) handlers.delete(p)
      },
      dialProtocol: async (target: unknown, protocol: string | string[]) => {
        const remote = this.byId.get(String(target))
        const p = [protocol].flat()[0]
        const handler = remote?.handlers.get(p)
        if (remote == null || handler == null) throw Object.assign(new Error(`no handler for ${p}`), { name: 'UnsupportedProtocolError' })
        const [outbound, inbound] = await streamPair({ protocol: p })
        opened.push(outbound)
        const connection = { remotePeer: peerId } as unknown as Connection
        void Promise.resolve(handler(inbound, connection)).catch((err: Error) => { inbound.abort(err) })
        return outbound
      }
    }
    const node: TestNode = { peerId, store, handlers, opened, service: undefined as unknown as Sync }
    node.service = sync(init)({
      libp2p: libp2p as never,
      store,
      logger: prefixLogger(name),
      peers: () => this.nodes.filter(n => n !== node).map(n => n.peerId),
      authority,
      writes
    })
    this.nodes.push(node)
    this.byId.set(peerId.toString(), node)
    await node.service.start()
    return node
  }

  async teardown (): Promise<void> {
    await Promise.all(this.nodes.map(async n => { await n.service.stop() }))
    await Promise.all(this.nodes.map(async n => { await n.store.close() }))
  }
}
