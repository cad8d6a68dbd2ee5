/**
 * What tells a vehicle that lost its database from a new one.
 *
 * A vehicle whose database is gone (its key kept) and that meets none of the
 * vehicles holding its chain looks exactly like a new vehicle: an empty
 * chain, no consensus state, nobody to say otherwise. Writing on, it began
 * its chain again at height 1, and those acknowledged blocks conflicted with
 * the chain its backups held when they returned (a probe: one of the two
 * had to lose). So the data dir keeps, beside `peer.key` and outside the
 * database, a small file naming the database that wrote this vehicle's
 * chain (its incarnation: random bytes made with the database). At start,
 * a file naming another database while the chain is empty means the
 * database was lost: own writes then wait until the chain is back from its
 * holders (OwnChainReturn.caughtUp), instead of forking it.
 *
 * The file is written once per database, after its first block of the chain
 * was acknowledged (or found on disk), so a vehicle whose first write failed
 * is still new if it loses its database. It also keeps the newest backup
 * table epoch the database signed or adopted (rewritten as it grows, off the
 * write's path): an obsolete backup that comes back first shows an older
 * table, and a chain fetched from it alone must not count as the chain back
 * (a probe: the vehicle wrote on from its copy, and later replaced the newer
 * one). Deleting the file is how an operator says the chain is lost for good
 * (it never reached a backup).
 *
 * Once our consensus runs on the chain, the file also says where it began
 * (the block before its first slot) and which booth decides it now, written
 * before the booth is sent anything to accept. The blocks it decided since
 * the last round that gave a backup a fresh copy are held by that booth
 * alone (its members keep their log above what the backups hold): a vehicle that lost its
 * database asks that booth for them (phase 1), where the chain it fetched
 * back from its backups could not tell it (no block there a ballot, or the
 * last ones decided by an older booth) and it began consensus again alone.
 */
import { open, readFile, rename, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { syncDirectory } from '../storage/segments.ts'
import { fromHex, toHex } from '../chain/index.ts'

export const OWN_CHAIN_FILE = 'own-chain.json'

interface MarkerRecord {
  /** The vehicle (its peer id): a file left by another key names another chain. */
  chain: string
  /** The incarnation (hex) of the database that wrote the chain. */
  database: string
  /** The newest backup table epoch of the chain that database signed or adopted (0: none yet). */
  epoch?: number
  /** Our consensus on the chain: where it began (height, hash hex) and the booth deciding it now. */
  consensus?: { start: { height: number, hash: string }, booth: string[] }
}

/** Where our consensus began on our chain and which booth decides it now (OwnChainMarker.noteConsensus). */
export interface ConsensusRecord {
  /** The block before consensus decided its first one (height 0: the chain's start). */
  start: { height: number, hash: Uint8Array }
  booth: string[]
}

export interface OwnChainMarkerInit {
  dataDir: string
  chainId: string
  /** This database's incarnation (hex). */
  database: string
  /** How far this database holds the chain now. */
  ownHeight: number
  /** Told when the file cannot be written (the write it follows stands; the next one tries again). */
  onWriteError: (err: Error) => void
}

/** What the file said at start, for the logs and the errors. */
export type MarkerFinding =
  | { kind: 'none' }
  | { kind: 'ours', epoch: number }
  /** Another database wrote the chain, up to backup table `epoch`; this one has not got it back. */
  | { kind: 'lost', database: string, epoch: number }
  /** The file cannot be read as a marker: taken as naming another database. */
  | { kind: 'unreadable', reason: string }

export class OwnChainMarker {
  readonly path: string
  readonly finding: MarkerFinding
  private held: boolean
  private claiming?: Promise<void>
  /** The newest table epoch recorded (or to be): what a chain fetched back must reach (lost) or what the file keeps (held). */
  private epochSeen: number
  private epochWritten: number
  private epochWrite?: Promise<void>
  /** What the file says of our consensus, or will once written. */
  private consensusRecord?: ConsensusRecord
  /** Writes of the file, one after the other: each writes what is known when it runs, so the last has it all. */
  private writes: Promise<void> = Promise.resolve()

  private constructor (private readonly init: OwnChainMarkerInit, finding: MarkerFinding, consensus?: ConsensusRecord) {
    this.path = join(init.dataDir, OWN_CHAIN_FILE)
    this.finding = finding
    this.consensusRecord = consensus
    this.held = finding.kind === 'ours'
    this.epochSeen = this.epochWritten = finding.kind === 'lost' || finding.kind === 'ours' ? finding.epoch : 0
  }

  static async open (init: OwnChainMarkerInit): Promise<OwnChainMarker> {
    const { finding, consensus } = await readFinding(join(init.dataDir, OWN_CHAIN_FILE), init)
    const marker = new OwnChainMarker(init, finding, consensus)
    // a database holding blocks of the chain, with no file or one it cannot read (a data dir of an
    // earlier version), writes it from now on. Not one the file says lost its chain: a fetch from an
    // obsolete backup cut short by a stop must not count as the chain back (Consensus decides that)
    if (!marker.held && marker.finding.kind !== 'lost' && init.ownHeight > 0) await marker.claim()
    return marker
  }

  /** The database that wrote this vehicle's chain is gone and this one has not got it back yet (claim()). */
  get lost (): boolean {
    return !this.held && this.finding.kind !== 'none'
  }

  /** The newest backup table epoch the lost database had signed or adopted: a chain fetched back must reach it. */
  get lostEpoch (): number {
    return this.finding.kind === 'lost' ? this.finding.epoch : 0
  }

  /** Why the chain counts as lost, for an error. */
  describe (): string {
    const f = this.finding
    if (f.kind === 'lost') return `${this.path} says database ${f.database} wrote its chain${f.epoch > 0 ? ` up to backup table epoch ${f.epoch}` : ''}, and this database (${this.init.database}) has not got it back`
    if (f.kind === 'unreadable') return `${this.path} cannot be read (${f.reason}), so it is taken as naming another database than this one, which holds none of the chain`
    return `${this.path} names this database`
  }

  /**
   * Records that this database writes the chain (once; later calls cost
   * nothing). Written whole under a temporary name, synced, then renamed:
   * a crash leaves the old file or the new one. Never throws: a file that
   * cannot be written is told to onWriteError and tried again next time.
   */
  async claim (): Promise<void> {
    if (this.held) return
    this.claiming ??= this.write().then(
      () => { this.held = true },
      (err: Error) => { this.init.onWriteError(err) }
    ).finally(() => { this.claiming = undefined })
    await this.claiming
  }

  /**
   * Notes the newest backup table epoch of the chain (signed or adopted)
   * while this database holds it: written in the background, the newest
   * value once another write is done; never throws (onWriteError).
   */
  noteEpoch (epoch: number): void {
    if (!this.held || epoch <= this.epochSeen) return
    this.epochSeen = epoch
    if (this.epochWrite != null) return
    const loop = async (): Promise<void> => {
      while (this.epochWritten < this.epochSeen) {
        const target = this.epochSeen
        await this.write()
        this.epochWritten = target
      }
    }
    this.epochWrite = loop().catch((err: Error) => { this.init.onWriteError(err) }).finally(() => { this.epochWrite = undefined })
  }

  /** Where our consensus began on the chain and the booth deciding it, as the file says (this database's or the lost one's). */
  get consensus (): ConsensusRecord | undefined {
    return this.consensusRecord
  }

  /**
   * Records where our consensus began and the booth that decides the chain
   * now, synced before it resolves (the booth must not be sent a value to
   * accept before). The file then names this database: it is the one that
   * writes the chain. Throws if the file cannot be written.
   */
  async noteConsensus (record: ConsensusRecord): Promise<void> {
    this.consensusRecord = { start: { ...record.start }, booth: [...record.booth] }
    await this.write()
    this.held = true
  }

  /**
   * Drops the consensus record: the chain it belongs to went another way
   * than its backups' (OwnChainConflictError), and the operator's recovery
   * keeps this file while the chain comes back from them; its booth would
   * name the diverged chain's. Never throws (onWriteError).
   */
  async clearConsensus (): Promise<void> {
    if (this.consensusRecord == null) return
    this.consensusRecord = undefined
    await this.write().catch((err: Error) => { this.init.onWriteError(err) })
  }

  /** Waits for a background epoch write (a stop, and tests). */
  async settled (): Promise<void> {
    await this.epochWrite
  }

  private async write (): Promise<void> {
    const next = this.writes.then(async () => { await this.writeNow() })
    this.writes = next.catch(() => {})
    await next
  }

  private async writeNow (): Promise<void> {
    const c = this.consensusRecord
    const record: MarkerRecord = {
      chain: this.init.chainId,
      database: this.init.database,
      epoch: this.epochSeen,
      ...(c != null ? { consensus: { start: { height: c.start.height, hash: toHex(c.start.hash) }, booth: c.booth } } : {})
    }
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
    try {
      const file = await open(tmp, 'wx', 0o644)
      try {
        await file.writeFile(`${JSON.stringify(record)}\n`)
        await file.sync()
      } finally {
        await file.close()
      }
      await rename(tmp, this.path)
      await syncDirectory(this.init.dataDir)
    } finally {
      await rm(tmp, { force: true })
    }
  }
}

async function readFinding (path: string, init: OwnChainMarkerInit): Promise<{ finding: MarkerFinding, consensus?: ConsensusRecord }> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { finding: { kind: 'none' } }
    return { finding: { kind: 'unreadable', reason: (err as Error).message } }
  }
  let record: Partial<MarkerRecord>
  try {
    record = JSON.parse(text) as Partial<MarkerRecord>
  } catch (err) {
    return { finding: { kind: 'unreadable', reason: `not JSON: ${(err as Error).message}` } }
  }
  if (typeof record !== 'object' || record == null || typeof record.chain !== 'string' || typeof record.database !== 'string') {
    return { finding: { kind: 'unreadable', reason: 'not {"chain", "database"}' } }
  }
  // left by another key (a new identity in an old dir): not this chain's
  if (record.chain !== init.chainId) return { finding: { kind: 'none' } }
  const epoch = Number.isSafeInteger(record.epoch) && (record.epoch as number) > 0 ? record.epoch as number : 0
  const consensus = consensusOf(record.consensus)
  if (consensus === null) return { finding: { kind: 'unreadable', reason: '"consensus" is not { start: { height, hash }, booth: [peer ids] }' } }
  if (record.database === init.database) return { finding: { kind: 'ours', epoch }, consensus }
  return { finding: { kind: 'lost', database: record.database, epoch }, consensus }
}

/** The file's consensus record: undefined when it has none, null when it is not one. */
function consensusOf (c: unknown): ConsensusRecord | undefined | null {
  if (c == null) return undefined
  const { start, booth } = c as { start?: { height?: unknown, hash?: unknown }, booth?: unknown }
  if (start == null || !Number.isSafeInteger(start.height) || (start.height as number) < 0 || typeof start.hash !== 'string' || !/^([0-9a-f]{2})*$/.test(start.hash)) return null
  if (!Array.isArray(booth) || booth.length === 0 || !booth.every(m => typeof m === 'string')) return null
  return { start: { height: start.height as number, hash: fromHex(start.hash) }, booth: booth as string[] }
}
