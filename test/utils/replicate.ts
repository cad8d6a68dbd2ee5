/** A replicate service on a test protocol, for a node that only sends its chain (it offers backups no room). */
import { defaultLogger } from '@libp2p/logger'
import { ReplicateService } from '../../src/protocols/replicate/index.ts'
import type { ReplicateInit } from '../../src/protocols/replicate/index.ts'
import type { VGuardNode } from '../../src/node/index.ts'

export function proposerService (node: VGuardNode, init: ReplicateInit & { protocol: string }): ReplicateService {
  return new ReplicateService({
    libp2p: node.libp2p,
    store: node.chains,
    logger: defaultLogger(),
    freeCapacity: async () => 0,
    onStored: async () => {}
  }, init)
}
