/**
 * A member that came into a vehicle's booth after its chain began holds the
 * slots accepted since, above a gap its catch-up asks the vehicle to fill.
 * A vehicle gone before it answered left them above the member's commit,
 * where compaction never reached: the retirement kept a big value's segment
 * for good (a CI run). The points the vehicle named say where its chain stood
 * at slots it had applied: the retirement skips to the newest one its
 * backups hold, as a snapshot from the vehicle would.
 */
import { describe, it, expect } from 'vitest'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { ChainMessage, ChainPoint } from '../../../src/protocols/paxos/index.ts'
import type { NodeDatabase } from '../../../src/storage/database.ts'
import { ChainReplica } from '../../../src/node/paxos-replica.ts'
import { UndecidedBudget } from '../../../src/node/undecided-budget.ts'
import { LevelPaxosStore } from '../../../src/storage/paxos-store.ts'
import { PAXOS_VALUES_DIR, valueLogDir } from '../../../src/storage/paxos-values.ts'
import { waitFor } from '../../utils/wait.ts'
import { SELF, openMemberReplica, useOwnReplica } from './helpers/own-replica.ts'

/** Above the value log's 64 KiB threshold: kept in a segment file. */
const BIG = 100 * 1024
const BOOTH = [SELF, 'm1']
const BALLOT = { round: 1, proposer: SELF }

interface Member {
  r: ChainReplica
  paxos: LevelPaxosStore
  sent: ChainMessage[]
  valueLog: string
}

async function openMember (db: NodeDatabase, paxos = new LevelPaxosStore(db), undecided?: UndecidedBudget): Promise<Member> {
  const sent: ChainMessage[] = []
  const r = await openMemberReplica(paxos.storage(SELF), { self: 'm1', boothSize: 2, send: (messages) => { sent.push(...messages) }, ...(undecided != null ? { undecided } : {}) })
  return { r, paxos, sent, valueLog: join(db.dataDir, PAXOS_VALUES_DIR, valueLogDir(SELF)) }
}

/**
 * The vehicle decided slots 1–3 alone, then took m1 into its booth: m1
 * accepts slot 4 (a big value), hears it decided with the point the vehicle
 * names after applying it, and asks for slots 1–3, which nobody answers.
 */
async function joinedLate (m: Member, held?: number, namesSlot4 = true): Promise<ChainPoint> {
  m.r.step({ type: 'accept', from: SELF, to: 'm1', ballot: BALLOT, slot: 4, value: { kind: 'data', id: 'big', data: randomBytes(BIG) }, booth: BOOTH, commit: 3 }, undefined, { slot: 3, height: 2, hash: randomBytes(32) }, held)
  await waitFor(() => m.sent.some(s => s.message.type === 'accepted'), { message: 'm1 accepted slot 4' })
  const applied = { slot: 4, height: 3, hash: randomBytes(32) }
  m.r.step({ type: 'heartbeat', from: SELF, to: 'm1', ballot: BALLOT, commit: 4 }, undefined, namesSlot4 ? applied : undefined, held)
  await waitFor(() => m.sent.some(s => s.message.type === 'catchup' && s.message.slot === 1), { message: 'm1 asked for slots 1-3' })
  expect(m.r.status()).toMatchObject({ decided: 0, compacted: 0 })
  expect(existsSync(m.valueLog)).toBe(true)
  return applied
}

describe('node - a booth member retired before its proposer taught it the slots it joined after', () => {
  const fixture = useOwnReplica()

  it('drops what it held up to the newest point the vehicle named, and its value log leaves the disk', async () => {
    const db = await fixture.database()
    const m = await openMember(db)
    await joinedLate(m)
    await m.r.retire()
    await m.paxos.release(SELF)
    expect(existsSync(m.valueLog)).toBe(false)
    const hs = await m.paxos.storage(SELF).hardState()
    expect(hs).toMatchObject({ commit: 4, compacted: 4 })
    // its promise stays: the vehicle back finds the vote it was given
    expect(hs?.promised).toEqual(BALLOT)
    expect(await ChainReplica.retirable(m.paxos.storage(SELF))).toBe(false)
  })

  it('a vehicle gone before it named the slot it applied last: from the point below, the slots it then knows committed are compacted too', async () => {
    const db = await fixture.database()
    const m = await openMember(db)
    await joinedLate(m, undefined, false)
    await m.r.retire()
    await m.paxos.release(SELF)
    expect(existsSync(m.valueLog)).toBe(false)
    expect(await m.paxos.storage(SELF).hardState()).toMatchObject({ commit: 4, compacted: 4 })
  })

  it('a save that fails while it retires (a full disk) still leaves the replica closed', async () => {
    const db = await fixture.database()
    const budget = new UndecidedBudget(2 ** 30)
    const m = await openMember(db, undefined, budget)
    // slot 4 accepted and not heard decided: held undecided, in the node's budget until the replica closes
    m.r.step({ type: 'accept', from: SELF, to: 'm1', ballot: BALLOT, slot: 4, value: { kind: 'data', id: 'big', data: randomBytes(BIG) }, booth: BOOTH, commit: 3 }, undefined, { slot: 3, height: 2, hash: randomBytes(32) })
    await waitFor(() => m.sent.some(s => s.message.type === 'catchup'), { message: 'm1 asked for slots 1-3' })
    // the budget hears of it once the Ready that sent the catch-up is advanced, a step after the send
    await waitFor(() => budget.bytes >= BIG, { message: 'slot 4 counted in the node\'s budget' })
    m.paxos.storage(SELF).setMeta = async () => { throw new Error('ENOSPC: no space left on device') }
    await expect(m.r.retire()).rejects.toThrow(/ENOSPC/)
    // closed: it holds nothing in memory any more
    expect(budget.bytes).toBe(0)
  })

  it('after a restart, the state a run left that way is retirable, and retired the same way', async () => {
    const db = await fixture.database()
    const first = await openMember(db)
    const applied = await joinedLate(first)
    // stopped while in the booth (not retired): its meta keeps the point the vehicle named
    await first.r.close()
    await first.paxos.release(SELF)
    const paxos = new LevelPaxosStore(db)
    expect(await ChainReplica.retirable(paxos.storage(SELF))).toBe(true)
    const again = await openMember(db, paxos)
    await again.r.retire()
    await paxos.release(SELF)
    expect(existsSync(again.valueLog)).toBe(false)
    expect(await paxos.storage(SELF).hardState()).toMatchObject({ commit: applied.slot, compacted: applied.slot })
  })

  it('keeps what the vehicle\'s backups do not hold yet: a vehicle that lost its chain may need it', async () => {
    const db = await fixture.database()
    const m = await openMember(db)
    // its backups hold height 2, where the chain stood at slot 3, below the big value
    await joinedLate(m, 2)
    await m.r.retire()
    await m.paxos.release(SELF)
    expect(existsSync(m.valueLog)).toBe(true)
    // slot 4 was heard decided: with the gap below it gone, it is committed, and kept
    expect(await m.paxos.storage(SELF).hardState()).toMatchObject({ commit: 4, compacted: 3 })
  })
})
