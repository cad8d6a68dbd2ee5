/**
 * Our own chain against the backup tables of it that we signed: who may hold
 * it (the members asked, the backups the tables name), and whether our chain
 * still holds the block those tables name. A chain that went another way (its
 * database lost while no backup was reachable) must neither replace the
 * copies the backups hold nor take writes beside them (OwnChainConflictError).
 */
import type { PeerId } from '@libp2p/interface'
import { bytesEqual, toHex } from '../chain/index.ts'
import type { ChainStore } from '../storage/index.ts'
import { headerAt } from '../storage/header-at.ts'
import { heldPoint } from '../backup/index.ts'
import type { BackupTable, BackupTableStore, VerifiedTable } from '../backup/index.ts'
import type { ReadService } from '../protocols/read/index.ts'
import { OWN_CONFLICT_RECOVERY, OwnChainConflictError } from './consensus-errors.ts'
import { lookupTable } from './table-lookup.ts'

/** Tables of our own chain kept for the check of the next rounds (shown): as many as a lookup asks. */
const MAX_OWN_SHOWN = 8

export interface OwnChainTablesDeps {
  /** Our own chain's id. */
  self: string
  store: ChainStore
  tables: Pick<BackupTableStore, 'get' | 'adopt'>
  read: Pick<ReadService, 'ask'>
  /** The connected members, asked for our chain's tables. */
  members: () => PeerId[]
  random: () => number
  /** Another block than the one a table names was found at its height (VGuardDB.onOwnConflict). */
  onConflict: () => Promise<void>
  /**
   * A newer table of our chain adopted from a member's answer (backup:table, as for any adoption): its
   * epoch goes in own-chain.json. Untold, a database lost before the next round left the file naming the
   * older epoch, and an obsolete backup's copy passed for the chain back (a probe, 2026-12-03).
   */
  onAdopted?: (table: VerifiedTable) => void
}

export class OwnChainTables {
  /** This run asked members for our own chain's newest table (the first round does). */
  looked = false
  private readonly d: OwnChainTablesDeps
  /**
   * A point of our own chain this process read from its own store when it
   * signed a table naming it: our chain holds it for as long as we run (no
   * path rewrites our own blocks in a running node), so the next round's
   * check of that table (checkHoldsTableTip) needs no read.
   */
  private pointHeld?: { height: number, hash: Uint8Array }
  /**
   * Tables of our own chain members showed that our chain does not hold the
   * tip of (checked, and kept while they fail, at every round): a vehicle
   * that lost its whole data dir but its key and wrote alone past its
   * backups' epoch signs newer tables than theirs, so the newest one names
   * its own chain, and only their older ones tell (a probe: every copy
   * replaced, acknowledged blocks gone).
   */
  private shown: BackupTable[] = []
  /** The conflict the last round of our own chain found, if it found one (checkOwnConflict). */
  private conflict?: Error

  constructor (deps: OwnChainTablesDeps) {
    this.d = deps
  }

  /**
   * Who may hold our own chain, likeliest first, for a vehicle whose data
   * dir lost part of it (own-chain-recovery.ts): the members that answer its
   * tip (a few connected ones, as for any lookup), then the backups of the
   * newest table we signed. Tables they show are adopted: the next round's
   * epoch then follows the newest one, not the one a restored copy held.
   */
  async holders (options: { signal?: AbortSignal } = {}): Promise<{ holders: string[], named: string[], answered: number }> {
    const { self, tables } = this.d
    const found = await lookupTable({
      chainId: self,
      peers: this.d.members(),
      exclude: new Set([self]),
      ask: async (peer, req) => await this.d.read.ask(peer, req, options),
      adopt: async (signed, id) => {
        const result = await tables.adopt(signed, id)
        if (result.adopted) this.d.onAdopted?.(result.table)
        return result
      },
      random: this.d.random
    })
    const table = tables.get(self)?.table
    const holders = [...new Set([...found.holders, ...(table?.active ?? []), ...(table?.obsolete ?? [])])].filter(p => p !== self)
    // those a table we signed names (the newest, and older ones members showed): a member that only answered
    // a tip request for our chain may hold one it made up, and its word proves no conflict (a review)
    const named = new Set([...(table?.active ?? []), ...(table?.obsolete ?? [])])
    for (const shown of [...found.shown, ...this.shown]) for (const p of [...shown.active, ...shown.obsolete]) named.add(p)
    // members that said anything: what they show is all there is to know (the first round need not ask again)
    const answered = found.path.filter(p => p.outcome !== 'unreachable' && p.outcome !== 'error').length
    if (answered > 0) this.looked = true
    // bounded: tables of ours as old as the newest we hold or older, the ones we already keep aside
    const newest = table?.epoch ?? 0
    for (const shown of found.shown) {
      const kept = this.shown.some(t => t.epoch === shown.epoch && bytesEqual(t.tipHash, shown.tipHash))
      if (shown.epoch <= newest && !kept && this.shown.length < MAX_OWN_SHOWN) this.shown.push(shown)
    }
    return { holders, named: [...named].filter(p => p !== self), answered }
  }

  /**
   * A round of our chain's check, before it replaces any copy: our newest
   * table's block and every one members showed (checkHoldsTableTip).
   *
   * @throws OwnChainConflictError
   */
  async checkBeforeRound (current: BackupTable | undefined): Promise<void> {
    // a conflict with another block there is kept: our next writes are refused before they add to it (checkOwnConflict)
    this.conflict = undefined
    if (current != null) await this.checkHoldsTableTip(current)
    await this.checkShownTables()
  }

  /** The round signed a table naming this point, read from our own store (pointHeld). */
  noteHeld (point: { height: number, hash: Uint8Array }): void {
    this.pointHeld = point
  }

  /**
   * Before a write of our own chain: if the last round found that our chain
   * went another way than our backups', and it still has, the write is
   * refused (nothing written): each block it committed would be one more
   * acknowledged beside their chain (a probe: puts answered 200 while every
   * round failed). A leader read of it is refused the same way (it answered
   * "no value" for a key committed in the chain the backups hold).
   *
   * @throws OwnChainConflictError
   */
  async checkOwnConflict (): Promise<void> {
    if (this.conflict == null) return
    this.conflict = undefined
    // a chain merely short of a table is not refused here (its write catches it up first)
    const conflict = await this.ownTableConflict()
    if (conflict != null) {
      throw new OwnChainConflictError(`nothing was written: ${conflict.message}. ${OWN_CONFLICT_RECOVERY}`)
    }
  }

  /**
   * Whether a backup table of ours (the newest known, or an older one a
   * member showed) names a block where our chain holds another one: signed
   * with our key, it proves our chain went another way than the one its
   * backups hold. A chain merely short of a table is none (the caller
   * fetches up to it to tell). Call holders first for the newest.
   */
  async ownTableConflict (): Promise<Error | undefined> {
    const current = this.d.tables.get(this.d.self)?.table
    // each check on its own; a conflict sets `conflict`
    await (current != null ? this.checkHoldsTableTip(current) : Promise.resolve()).catch(() => {})
    await this.checkShownTables().catch(() => {})
    return this.conflict
  }

  /**
   * Our chain must hold the block our newest table names before a round
   * replaces the copies it names: the backups reset a copy that is not a
   * prefix of what they are sent, so a chain that went another way (its
   * database lost while no backup was reachable: it wrote on alone from
   * height 0) would overwrite acknowledged blocks on every copy. They keep
   * theirs; the operator gets the chain back from them (docs/consensus.md, errors).
   *
   * @throws OwnChainConflictError
   */
  private async checkHoldsTableTip (table: BackupTable, which = 'newest'): Promise<void> {
    const { store, self } = this.d
    // what the backups it names hold: its tip, or less when its round refreshed none (those blocks went
    // nowhere: a chain that lost them and wrote on, the operator saying so, replaces no copy)
    const point = heldPoint(table)
    if (point.height === 0) return
    if (this.pointHeld != null && this.pointHeld.height === point.height && bytesEqual(this.pointHeld.hash, point.hash)) return
    // once per round, after each commit: the header only
    const held = await headerAt(store, self, point.height)
    if (held != null && bytesEqual(held.hash, point.hash)) return
    const err = new OwnChainConflictError(`${self} does not hold the block its ${which} backup table (epoch ${table.epoch}, held by ${table.active.join(', ') || 'no backup'}) names at height ${point.height}: ` +
      (held == null ? `its chain ends at ${(await store.tip(self)).height}` : `its block there is ${toHex(held.hash)}, not ${toHex(point.hash)}`) +
      '; its chain went another way (its database lost while no backup was reachable?): the backups keep their copies, none is replaced')
    // another block at that height, not a chain still short of it (a data dir restored from an older copy, before its catch-up)
    if (held != null) {
      this.conflict = err
      await this.d.onConflict()
    }
    throw err
  }

  /** Every table of ours a member showed must name a block our chain holds (shown); those that do are dropped. */
  private async checkShownTables (): Promise<void> {
    const failing: BackupTable[] = []
    let first: unknown
    for (const table of this.shown) {
      try {
        await this.checkHoldsTableTip(table, 'own older')
      } catch (err) {
        failing.push(table)
        first ??= err
      }
    }
    this.shown = failing
    if (first != null) throw first
  }
}
