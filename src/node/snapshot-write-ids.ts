/**
 * The write ids of the blocks a shared chain's snapshot brought: blocks do
 * not carry them, so a replica that joins by snapshot asks a member for
 * them (SnapshotInstaller.install, replica-snapshots.ts).
 */
import type { AppliedWriteId } from '../protocols/sync/index.ts'
import type { RememberedWrite } from '../storage/paxos-store.ts'
import { bytesEqual } from '../chain/index.ts'
import { WRITE_MEMORY } from './recent-writes.ts'
import type { WriteLedger } from './write-ledger.ts'
import type { ReplicaDeps } from './replica-types.ts'

type WriteIdDeps = Pick<ReplicaDeps, 'chainId' | 'self' | 'connected' | 'fetchWriteIds' | 'store' | 'storage' | 'now' | 'memoryNow' | 'log'>

/**
 * The write ids of the blocks a snapshot brought (`from`..`to`), from the
 * member that answered it: blocks do not carry them, and without them a
 * retry of a write in those blocks, reaching this node once it leads, was
 * proposed again and committed twice; and a write of ours whose slot the
 * snapshot covered could not be told committed (forgetUncertain). Each is
 * taken only if its block is the one this node's copy holds at its height
 * (a check against a member confused about the chain; a member is trusted
 * to say what its consensus applied, as Paxos trusts its votes). If that
 * member cannot answer, the other connected members of the booth are asked
 * (each applied those blocks, or learned their ids so): one more at most.
 * Best effort: it runs in the drive loop, so each ask is bounded
 * (WRITE_IDS_WAIT, paxos-constants.ts), and the snapshot is installed either way; what this
 * could not learn stays as unknown as before.
 */
export async function learnWriteIds (d: WriteIdDeps, writes: WriteLedger, booth: readonly string[], peer: string, from: number, to: number): Promise<void> {
  if (d.fetchWriteIds == null || from > to) return
  const connected = new Set(d.connected())
  const others = booth.filter(m => m !== peer && m !== d.self && connected.has(m))
  let ids: AppliedWriteId[] | undefined
  let answered = peer
  const failures: string[] = []
  for (const source of [peer, ...others].slice(0, 2)) {
    try {
      ids = await d.fetchWriteIds(source, from, to)
      answered = source
      break
    } catch (err) {
      failures.push(`${source}: ${(err as Error).message}`)
    }
  }
  if (ids == null) {
    d.log('%s: no member gave the write ids of blocks %d..%d (%s): retries of their writes here may commit again', d.chainId, from, to, failures.join('; '))
    return
  }
  const hashes = new Map<number, Uint8Array | undefined>()
  const remembered: RememberedWrite[] = []
  const now = (d.memoryNow ?? d.now)()
  // oldest first: the write memory evicts in the order entries went in
  for (const w of [...ids].sort((a, b) => b.age - a.age)) {
    if (w.age > WRITE_MEMORY.ttl) continue
    if (!hashes.has(w.height)) hashes.set(w.height, (await d.store.getBlock(d.chainId, w.height))?.hash)
    const held = hashes.get(w.height)
    if (held == null || !bytesEqual(held, w.hash)) continue
    const result = { chainId: d.chainId, height: w.height, hash: held }
    writes.learnApplied(w.key, result, w.age, w.owner)
    remembered.push({ key: w.key, ...(w.owner != null ? { owner: w.owner } : {}), at: now - w.age, height: w.height, hash: held })
  }
  await d.storage.rememberWrites(remembered)
  d.log('%s: learned %d write ids of blocks %d..%d from %s', d.chainId, remembered.length, from, to, answered)
}
