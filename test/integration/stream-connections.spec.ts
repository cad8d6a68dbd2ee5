/**
 * Which of a peer's connections a stream opens on: the newest that can carry
 * one. A connection whose muxer closed while it stays open (the peer's yamux
 * GoAway came, its TCP close not yet) is passed over; libp2p's dialProtocol
 * looks at a connection's status only and may hand it out. Liveness closes
 * such a connection at its next check; requests made before then failed.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { lpStream } from '@libp2p/utils'
import type { VGuardLibp2p } from '../../src/node/libp2p.ts'
import { withStream } from '../../src/protocols/stream.ts'
import { muxerClosed } from '../../src/protocols/open-stream.ts'
import { startedLibp2p } from '../utils/libp2p.ts'
import { leaveHalfClosed } from '../utils/stale-connection.ts'

const ECHO = '/vguard-test/echo/1.0.0'

describe('protocols - a request to a peer with a connection left half closed', () => {
  const nodes: VGuardLibp2p[] = []
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map(async n => { await n.stop() }))
  })

  it('opens its stream on the connection that can carry one, the stale one the older or the newer', async () => {
    for (const stale of ['older', 'newer']) {
      const [a, b] = [await startedLibp2p(`streams-${process.pid}`), await startedLibp2p(`streams-${process.pid}`)]
      nodes.push(a, b)
      await b.handle(ECHO, async (stream) => {
        const lp = lpStream(stream)
        await lp.write(await lp.read())
        await stream.close()
      })
      const older = await a.dial(b.getMultiaddrs()[0])
      const newer = await a.dial(b.getMultiaddrs()[0], { force: true })
      const closed = stale === 'older' ? older : newer
      await leaveHalfClosed(a, b, closed)
      expect(muxerClosed(closed)).toBe(true)

      const answer = await withStream(a, b.peerId, ECHO, async (stream, signal) => {
        const lp = lpStream(stream)
        await lp.write(new TextEncoder().encode('hello'), { signal })
        return new TextDecoder().decode((await lp.read({ signal })).subarray())
      }, { timeout: 5_000 })
      expect(answer, stale).toBe('hello')
    }
  })
})
