/**
 * Backup tables: per chain, an epoch that only grows, the active backups and
 * the obsolete ones, signed by the chain's proposer.
 *
 * Who may sign: a vehicle's own chain has the vehicle's peer id as its chain
 * id, so the signer must be exactly that peer (its Ed25519 public key is inside
 * the peer id — no key distribution needed). This is what makes "only a
 * chain's proposer can order a release" checkable by every backup.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { publicKeyFromRaw } from '@libp2p/crypto/keys'
import type { PrivateKey, PublicKey } from '@libp2p/interface'
import { BackupTable, SignedBackupTable, BoothResult } from './pb/backup.ts'
import { InvalidBackupTableError } from './errors.ts'
import { MAX_CHAIN_ID_BYTES } from '../chain/index.ts'
import { peerText } from '../text/peer-text.ts'

export { BackupTable, SignedBackupTable, BoothResult }

/** Domain separation: a signature over a table can never be replayed as another kind of message. */
const SIGNING_PREFIX = new TextEncoder().encode('vguard-backup-table/1:')
export const MAX_TABLE_BYTES = 16 * 1024
export const MAX_TABLE_MEMBERS = 64

/**
 * A name a table carries (its proposer, its chain, a backup), as a rejection
 * shows it: anyone may gossip a table, and until 2026-12-03 what it named went
 * raw into the error, the logs and the API (ANSI escapes, forged log lines,
 * 16 KiB of text). Escaped and cut (peerText); a real id is shown as it is.
 */
const shown = (name: string): string => peerText(name, MAX_CHAIN_ID_BYTES)

export interface VerifiedTable {
  table: BackupTable
  /** The signed encoding, to forward as is (redirects, releases, gossip); the envelope as it encodes, whatever bytes it came in. */
  signed: Uint8Array
}

function signingBytes (tableBytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(SIGNING_PREFIX.byteLength + tableBytes.byteLength)
  out.set(SIGNING_PREFIX)
  out.set(tableBytes, SIGNING_PREFIX.byteLength)
  return out
}

export interface TableInit {
  chainId: string
  epoch: number
  active: string[]
  obsolete: string[]
  height: number
  tipHash: Uint8Array
  timestamp: number
  /** The newest point a backup the table names holds, when below `height` (a round that refreshed none). */
  held?: HeldPoint
}

/** A block of a chain a backup holds, by height and hash. */
export interface HeldPoint {
  height: number
  hash: Uint8Array
}

/**
 * How far a backup the table names is known to hold the chain: its tip,
 * unless the round that signed it refreshed no backup (then the point the
 * backups it kept held). A vehicle fetching its own chain back can get it
 * from them up to there, not further.
 */
export function heldPoint (table: BackupTable): HeldPoint {
  return table.heldHeight != null ? { height: table.heldHeight, hash: table.heldTipHash ?? new Uint8Array(0) } : { height: table.height, hash: table.tipHash }
}

/** Signs a new table with the proposer's key. */
export async function signTable (privateKey: PrivateKey, proposer: string, init: TableInit): Promise<VerifiedTable> {
  const { held, ...fields } = init
  const table: BackupTable = {
    ...fields,
    proposer,
    tipHash: init.tipHash as Uint8Array<ArrayBuffer>,
    ...(held != null && held.height < init.height ? { heldHeight: held.height, heldTipHash: held.hash as Uint8Array<ArrayBuffer> } : {})
  }
  const tableBytes = BackupTable.encode(table)
  const signature = await privateKey.sign(signingBytes(tableBytes))
  return { table: BackupTable.decode(tableBytes), signed: SignedBackupTable.encode({ table: tableBytes, signature: signature as Uint8Array<ArrayBuffer> }) }
}

function publicKeyOf (peerId: string): PublicKey {
  let id
  try {
    id = peerIdFromString(peerId)
  } catch {
    throw new InvalidBackupTableError('Malformed', `Invalid backup table: proposer ${shown(peerId)} is not a peer id`)
  }
  // the same id written another way (a CID, bafz…) names no chain: its table was adopted beside the
  // real one, reported and counted (a review)
  if (id.toString() !== peerId) throw new InvalidBackupTableError('Malformed', `Invalid backup table: proposer ${shown(peerId)} is not written as ${id.toString()}`)
  if (id.publicKey == null) throw new InvalidBackupTableError('WrongSigner', 'Invalid backup table: proposer id carries no public key')
  return id.publicKey.type === 'Ed25519' ? publicKeyFromRaw(id.publicKey.raw) : id.publicKey
}

/**
 * Every backup a table names is a peer id written the one way a peer writes
 * its own, named once across both lists, and never the chain's owner: readers
 * dial these names, releases are sent to them and retention compares them with
 * connected peers' ids. A table naming 'B', a CID or a backup twice verified
 * before, and what followed it failed far from the table (a review).
 */
function checkBackupNames (table: BackupTable): void {
  const seen = new Set<string>()
  for (const name of [...table.active, ...table.obsolete]) {
    let canonical: string | undefined
    try {
      canonical = peerIdFromString(name).toString()
    } catch {}
    if (canonical !== name) throw new InvalidBackupTableError('Malformed', `Invalid backup table: Malformed: backup "${shown(name)}" is not a peer id as its peer writes it`)
    if (name === table.proposer) throw new InvalidBackupTableError('Malformed', 'Invalid backup table: Malformed: the chain\'s owner names itself a backup')
    if (seen.has(name)) throw new InvalidBackupTableError('Malformed', `Invalid backup table: Malformed: backup ${name} is named twice`)
    seen.add(name)
  }
}

/**
 * Decodes and checks a signed table: well formed, bounded, signed by the
 * proposer it names, and that proposer owns the chain (its own chain id).
 *
 * @throws InvalidBackupTableError
 */
export async function verifyTable (signed: Uint8Array, expectedChainId?: string): Promise<VerifiedTable> {
  if (signed.byteLength > MAX_TABLE_BYTES) throw new InvalidBackupTableError('Oversized')
  let outer: SignedBackupTable
  let table: BackupTable
  try {
    outer = SignedBackupTable.decode(signed)
    table = BackupTable.decode(outer.table, { limits: { active: MAX_TABLE_MEMBERS, obsolete: MAX_TABLE_MEMBERS } })
  } catch (err) {
    throw new InvalidBackupTableError('Malformed', `Invalid backup table: Malformed: ${(err as Error).message}`)
  }
  if (table.chainId === '' || !Number.isSafeInteger(table.epoch) || table.epoch < 1) {
    throw new InvalidBackupTableError('Malformed', 'Invalid backup table: Malformed: empty chain id or epoch < 1')
  }
  if (expectedChainId != null && table.chainId !== expectedChainId) {
    throw new InvalidBackupTableError('Malformed', `Invalid backup table: for chain ${shown(table.chainId)}, expected ${expectedChainId}`)
  }
  if (table.heldHeight != null && (!Number.isSafeInteger(table.heldHeight) || table.heldHeight >= table.height || (table.heldHeight > 0) !== ((table.heldTipHash?.byteLength ?? 0) > 0))) {
    throw new InvalidBackupTableError('Malformed', `Invalid backup table: Malformed: held height ${table.heldHeight} is not below height ${table.height} with a tip hash`)
  }
  if (table.chainId !== table.proposer) {
    throw new InvalidBackupTableError('NotOwner', `Invalid backup table: ${shown(table.proposer)} does not own chain ${shown(table.chainId)}`)
  }
  checkBackupNames(table)
  const key = publicKeyOf(table.proposer)
  const ok = await key.verify(signingBytes(outer.table), outer.signature)
  if (!ok) throw new InvalidBackupTableError('BadSignature')
  // the envelope is not signed: anyone could add fields to it or reorder them, and the same table
  // would then travel as other bytes (a release comparing bytes took it for another table: a review)
  return { table, signed: SignedBackupTable.encode({ table: outer.table, signature: outer.signature }) }
}

/** True if `candidate` should replace `current` (a strictly newer epoch). */
export function isNewer (candidate: BackupTable, current: BackupTable | undefined): boolean {
  return current == null || candidate.epoch > current.epoch
}
