/**
 * A round tells a backup that refused at the offer by the status it
 * answered, never by its words: FORBIDDEN stored nothing there, and the
 * round leaves it alone; an ERROR may have come after part of the chain was
 * stored, so a connected backup that answered it is named obsolete and told
 * to release, even when its message says "FORBIDDEN" (the message is the
 * backup's own text: a round took such an answer for a refusal). Real nodes
 * over TCP on 127.0.0.1; the backup's replicate and release handlers are
 * replaced by hand-written ones.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { pbStream } from '@libp2p/utils'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import type { VGuardNode } from '../../src/node/index.ts'
import { REPLICATE_PROTOCOL } from '../../src/protocols/replicate/index.ts'
import { ReplicateRequest, ReplicateResponse } from '../../src/protocols/replicate/pb/replicate.ts'
import { RELEASE_PROTOCOL } from '../../src/protocols/release/index.ts'
import { ReleaseRequest, ReleaseResponse } from '../../src/protocols/release/pb/release.ts'

const utf8 = new TextEncoder()

/** Words that name another status than the one answered. */
const WORDS = 'could not open /var/lib/vguard: FORBIDDEN by the sandbox'

/** `b` answers every offer with `status` and WORDS, and stores nothing. */
async function refuseOffers (b: VGuardNode, status: ReplicateResponse.Status): Promise<void> {
  await b.libp2p.unhandle(REPLICATE_PROTOCOL)
  await b.libp2p.handle(REPLICATE_PROTOCOL, async (stream) => {
    const pbs = pbStream(stream)
    await pbs.read(ReplicateRequest)
    await pbs.write({ status, height: 0, tipHash: new Uint8Array(), free: 0, message: WORDS }, ReplicateResponse)
    await stream.close()
  })
}

/** `b` answers every release as done; the function returned says whether one came. */
async function countReleases (b: VGuardNode): Promise<() => boolean> {
  let released = false
  await b.libp2p.unhandle(RELEASE_PROTOCOL)
  await b.libp2p.handle(RELEASE_PROTOCOL, async (stream) => {
    const pbs = pbStream(stream, { maxDataLength: 64 * 1024 })
    await pbs.read(ReleaseRequest)
    released = true
    await pbs.write({ status: ReleaseResponse.Status.OK, epoch: 0, deleted: false, message: '' }, ReleaseResponse)
    await stream.close()
  })
  return () => released
}

describe('replicate - a refusal at the offer, told by its status', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a backup that answered FORBIDDEN is left alone; one that answered ERROR, whatever its words, may hold part of the chain: obsolete, and told to release', async () => {
    const [a, b] = await connectedSwarm(cluster, 2, { kBackups: 1 })
    const backup = b.peerId.toString()
    const participants = [backup]
    const booth = async (key: string): ReturnType<VGuardNode['endOfBooth']> => await a.endOfBooth({ participants, transactions: [{ key, value: utf8.encode(key) }] })

    // the status it was refused with is the error's, apart from the backup's words
    await refuseOffers(b, ReplicateResponse.Status.FORBIDDEN)
    await expect(a.vguarddb.replicate.replicateTo(b.peerId, a.peerId.toString())).rejects.toMatchObject({ name: 'ReplicateRefusedError', status: 'FORBIDDEN' })
    let round = await booth('k1')
    expect(round).toMatchObject({ complete: false, active: [], obsolete: [] })
    expect(round.failures).toEqual([{ peerId: backup, error: expect.stringMatching(/^ReplicateRefusedError: .*FORBIDDEN/) }])

    await refuseOffers(b, ReplicateResponse.Status.ERROR)
    await expect(a.vguarddb.replicate.replicateTo(b.peerId, a.peerId.toString())).rejects.toMatchObject({ name: 'ReplicateRefusedError', status: 'ERROR' })
    const released = await countReleases(b)
    round = await booth('k2')
    expect(round).toMatchObject({ complete: false, active: [], obsolete: [backup] })
    expect(round.failures).toEqual([{ peerId: backup, error: expect.stringMatching(/^ReplicateRefusedError: .*ERROR: .*FORBIDDEN by the sandbox/) }])
    await waitFor(released, { message: 'a release sent to the backup that answered ERROR' })
  })
})
