/**
 * A vehicle's libp2p dials and is dialled a moment before its node takes
 * peer views (/vguard/peer-exchange/1.0.0): its data dir's peers reconnect
 * as libp2p starts. A member that sent its view then was refused the
 * protocol, and the starting vehicle met the others that member knew only
 * at the next periodic announcement (~10 s). A refused view is sent again.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { lpStream } from '@libp2p/utils'
import type { PeerId } from '@libp2p/interface'
import { TestCluster, createBaseOptions } from '../utils/nodes.ts'
import { capturingLogger } from '../utils/log-capture.ts'
import { waitFor } from '../utils/wait.ts'
import { startedLibp2p } from '../utils/libp2p.ts'
import { createVGuardNode } from '../../src/node/index.ts'
import type { VGuardLibp2p } from '../../src/node/libp2p.ts'
import { protocolId } from '../../src/protocols/constants.ts'
import { PROTOCOL_NAME, PROTOCOL_VERSION, MAX_ANNOUNCEMENT_BYTES } from '../../src/protocols/peer-exchange/constants.ts'
import { PeerAnnouncement } from '../../src/protocols/peer-exchange/pb/peer-exchange.ts'

const PX = protocolId(PROTOCOL_NAME, PROTOCOL_VERSION)

describe('peering - a view refused by a vehicle still starting', () => {
  const cluster = new TestCluster()
  let starting: VGuardLibp2p | undefined
  afterEach(async () => {
    await starting?.stop()
    starting = undefined
    await cluster.teardown()
  })

  it('is sent again once its node takes views: it hears of the members we know', async () => {
    const { logger, messages } = capturingLogger('vguard:peering')
    const hub = await createVGuardNode(createBaseOptions({ dataDir: await cluster.tempDir() }), { logger })
    cluster.nodes.push(hub)
    await hub.start()
    const old = await cluster.create({ bootstrap: [hub.multiaddrs[0].toString()] })
    await old.start()
    await waitFor(() => hub.peers().length === 1, { message: 'the hub and an old member connected' })

    // a vehicle of the network whose node has not registered the protocol yet (libp2p alone, not on the peers topic)
    starting = await startedLibp2p(createBaseOptions({ dataDir: 'unused' }).network ?? '')
    const id = starting.peerId
    const refused = (): boolean => messages.some(m => m.format.startsWith('could not send our view') && (m.args[0] as PeerId).equals(id))
    await starting.dial(hub.multiaddrs[0])
    await waitFor(refused, { message: 'the hub to send its view to the starting vehicle, and be refused' })
    expect(hub.peers().map(p => p.peerId)).toContain(id.toString())

    // what the hub's views name (the old member, told of us by the hub's gossip, sends its own)
    const fromHub = new Set<string>()
    await starting.handle(PX, async (stream, connection) => {
      const bytes = await lpStream(stream, { maxDataLength: MAX_ANNOUNCEMENT_BYTES }).read()
      if (connection.remotePeer.equals(hub.peerId)) for (const peer of PeerAnnouncement.decode(bytes.subarray()).peers) fromHub.add(peer.peerId)
      await stream.close()
    })
    await waitFor(() => fromHub.has(old.peerId.toString()), { message: 'the hub\'s view to reach the starting vehicle, naming the old member' })
  })
})
