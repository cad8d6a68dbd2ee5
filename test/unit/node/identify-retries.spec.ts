/**
 * Identify run again on connections whose first identify gave no verdict
 * (IdentifyRetries): only once a connection is old enough, one run at a time,
 * a few times, then a hang-up. Driven with made-up connections and a made-up
 * identify: no network.
 */
import { describe, it, expect } from 'vitest'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Connection, Logger } from '@libp2p/interface'
import { IdentifyRetries } from '../../../src/node/identify-retries.ts'
import type { VGuardLibp2p } from '../../../src/node/libp2p.ts'
import { madeUpPeerIds } from '../../utils/peer-ids.ts'

/** IDENTIFY_RETRY_AFTER: a connection younger than this is left to its first identify. */
const RETRY_AFTER = 10_000

interface Made {
  retries: IdentifyRetries
  connections: Connection[]
  /** Identify runs by connection id, each settled by the test. */
  identified: Array<{ id: string, settle: (err?: Error) => void }>
  closed: string[]
  logged: string[]
  judged: Set<string>
}

/** What IdentifyRetries reads of a connection. */
function connection (id: string, peer: string, age: number, closed: string[], status: Connection['status'] = 'open'): Connection {
  return {
    id,
    remotePeer: peerIdFromString(peer),
    status,
    timeline: { open: Date.now() - age },
    close: async () => { closed.push(id) },
    abort: () => {}
  } as unknown as Connection
}

function made (): Made {
  const m: Made = { connections: [], identified: [], closed: [], logged: [], judged: new Set(), retries: undefined as unknown as IdentifyRetries }
  const libp2p = {
    getConnections: () => m.connections,
    services: {
      identify: {
        identify: async (c: Connection) => await new Promise<void>((resolve, reject) => {
          m.identified.push({ id: c.id, settle: (err) => { if (err != null) reject(err); else resolve() } })
        })
      }
    }
  } as unknown as VGuardLibp2p
  const log = Object.assign((format: string) => { m.logged.push(format) }, { error: () => {}, trace: () => {}, enabled: true }) as unknown as Logger
  m.retries = new IdentifyRetries({ libp2p, judged: (id) => m.judged.has(id), log })
  return m
}

/** Lets a settled identify's finally run. */
async function settled (): Promise<void> {
  await new Promise(resolve => setImmediate(resolve))
}

describe('node - identify retries', () => {
  it('identifies an old unjudged connection again, one run at a time, three times, then hangs up', async () => {
    const m = made()
    const [peer] = await madeUpPeerIds(1)
    m.connections.push(connection('c', peer, RETRY_AFTER + 1, m.closed))
    for (let run = 1; run <= 3; run++) {
      m.retries.run()
      // a run still under way is not started again
      m.retries.run()
      expect(m.identified.map(i => i.id), `run ${run}`).toEqual(Array(run).fill('c'))
      m.identified[run - 1].settle(run === 2 ? new Error('timed out') : undefined)
      await settled()
    }
    expect(m.logged.filter(l => l.startsWith('identify of %p failed again'))).toHaveLength(1)
    expect(m.closed).toEqual([])
    m.retries.run()
    expect(m.identified).toHaveLength(3)
    expect(m.closed).toEqual(['c'])
    expect(m.logged).toContain('hanging up on %p: identify gave no verdict in %d tries')
  })

  it('leaves alone a young connection, one not open, and one whose peer identify judged', async () => {
    const m = made()
    const [young, closing, judged] = await madeUpPeerIds(3)
    m.judged.add(judged)
    m.connections.push(
      connection('young', young, RETRY_AFTER - 1_000, m.closed),
      connection('closing', closing, RETRY_AFTER + 1, m.closed, 'closing'),
      connection('judged', judged, RETRY_AFTER + 1, m.closed)
    )
    m.retries.run()
    expect(m.identified).toEqual([])
    m.judged.clear()
    m.retries.run()
    expect(m.identified.map(i => i.id)).toEqual(['judged'])
  })

  it('forgets the tries of a connection that closed', async () => {
    const m = made()
    const [peer] = await madeUpPeerIds(1)
    const c = connection('c', peer, RETRY_AFTER + 1, m.closed)
    m.connections.push(c)
    for (let run = 0; run < 3; run++) {
      m.retries.run()
      m.identified[run].settle()
      await settled()
    }
    // gone for a round: a connection of that id is counted afresh
    m.connections.length = 0
    m.retries.run()
    m.connections.push(c)
    m.retries.run()
    expect(m.identified).toHaveLength(4)
    expect(m.closed).toEqual([])
  })
})
