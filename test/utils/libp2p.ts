import { generateKeyPair } from '@libp2p/crypto/keys'
import { defaultLogger } from '@libp2p/logger'
import { buildLibp2p } from '../../src/node/libp2p.ts'
import type { VGuardLibp2p } from '../../src/node/libp2p.ts'
import { resolveConfig } from '../../src/node/config.ts'

/**
 * A started libp2p node built as a vehicle's is (loopback, port 0, mDNS off,
 * a new key), with none of the node's protocols: for tests of one part over
 * real connections. Stop it in teardown.
 */
export async function startedLibp2p (network: string): Promise<VGuardLibp2p> {
  const config = resolveConfig({ dataDir: 'unused', listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, network })
  const libp2p = await buildLibp2p({ config, privateKey: await generateKeyPair('Ed25519'), isDenied: () => false, logger: defaultLogger() })
  await libp2p.start()
  return libp2p
}
