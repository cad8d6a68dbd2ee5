/**
 * The node's caps on the backup tables it keeps of chains it holds nothing of
 * (maxTableHints, maxForwardPointers: src/backup/store.ts) take effect:
 * past the cap, the hint adopted longest ago is forgotten. The forward
 * pointers' cap is shown in release-membership.spec.ts. Real nodes over TCP
 * on 127.0.0.1, real LevelDB.
 */
import { describe, it, expect, afterEach } from 'vitest'
import { TestCluster, connectedSwarm } from '../utils/nodes.ts'
import { waitFor } from '../utils/wait.ts'
import { statusOf } from '../../src/http/status.ts'

describe('backup tables - the node\'s caps', () => {
  const cluster = new TestCluster()
  afterEach(async () => { await cluster.teardown() })

  it('a node with maxTableHints 1 forgets the hint it adopted first when it hears a second chain\'s table', async () => {
    const [A, M, N] = await connectedSwarm(cluster, 3, { kBackups: 1, maxTableHints: 1 })
    const [m, n] = [M, N].map(p => p.peerId.toString())
    const value = new Uint8Array([1])
    // M's round names N its backup: A hears M's table by gossip only, a hint
    await M.endOfBooth({ participants: [n], transactions: [{ key: 'k', value }] })
    await waitFor(() => A.vguarddb.tables.get(m) != null, { message: 'A heard M\'s table' })
    expect(A.vguarddb.tables.hintCount).toBe(1)
    // N's round names M: its table is A's second hint, and M's goes (1,024 by default)
    await N.endOfBooth({ participants: [m], transactions: [{ key: 'k', value }] })
    await waitFor(() => A.vguarddb.tables.get(n) != null && A.vguarddb.tables.get(m) == null, { message: 'A forgot M\'s table for N\'s' })
    expect(A.vguarddb.tables.hintCount).toBe(1)
    // /status names the caps beside the list they bound
    const status = await statusOf(A)
    expect(status.backupTableCaps).toEqual({ pointers: 4096, hints: 1 })
    expect(status.backupTables.map(t => [t.chainId, t.kind])).toEqual([[n, 'hint']])
  })
})
