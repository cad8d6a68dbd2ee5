/**
 * The node's identity: an Ed25519 key kept in the data dir so that the peer id
 * survives restarts (bootstrap lists and backup tables name peers by id).
 */
import { link, open, readFile, rename, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { DataDirError, makeDirs } from '../storage/dirs.ts'
import { checkNotInsideNode } from '../storage/nested-dir.ts'
import { resolveDataDir } from './config.ts'
import { syncDirectory } from '../storage/segments.ts'

export const KEY_FILE = 'peer.key'

/** The key file exists but cannot be used as a libp2p private key. */
export class InvalidKeyFileError extends Error {
  static name = 'InvalidKeyFileError'
  constructor (message = 'Invalid key file') {
    super(message)
    this.name = 'InvalidKeyFileError'
  }
}

/**
 * The key in the data dir, or undefined if there is none yet. Reads only: a
 * start checks it before it makes anything in a dir it would then refuse.
 *
 * @throws InvalidKeyFileError; DataDirError when it cannot be read (EACCES, EISDIR, …), naming it
 */
export async function readKey (dataDir: string): Promise<PrivateKey | undefined> {
  const path = join(dataDir, KEY_FILE)
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    // the data dir not made yet, or a part of its path that is a file (the database's open says which)
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    // Node's EISDIR names no path, and an operator could not tell which file of which dir (a probe, 2026-12-03)
    throw new DataDirError(`cannot read ${path}: ${(err as Error).message}`)
  }
  // a file someone made empty: libp2p's "Unsupported key type" sent them looking for a key of another kind
  if (bytes.byteLength === 0) throw new InvalidKeyFileError(`${path} is empty, not a private key (move it aside and start makes one, under a new peer id)`)
  let key: PrivateKey
  try {
    key = privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new InvalidKeyFileError(`${path} is not a valid private key: ${(err as Error).message}`)
  }
  // Backup tables are verified with the key the chain's id (the peer id) carries: an RSA peer id carries none,
  // and such a vehicle committed every write, then failed every replication round (a review)
  if (peerIdFromString(peerIdFromPrivateKey(key).toString()).publicKey == null) {
    throw new InvalidKeyFileError(`${path} is a ${key.type} key, whose peer id does not carry its public key: the backup tables this vehicle signs could not be verified. Use an Ed25519 key (move the file aside: start makes one)`)
  }
  return key
}

export async function loadOrCreateKey (dataDir: string): Promise<PrivateKey> {
  const path = join(dataDir, KEY_FILE)
  const existing = await readKey(dataDir)
  if (existing != null) return existing
  const key = await generateKeyPair('Ed25519')
  await makeDirs(dataDir)
  // Written whole and synced under a temporary name, then linked into place:
  // a crash never leaves a half-written key, a power cut never loses a key
  // the database (synced later) was created under (a new id would orphan the
  // chain), and of two processes creating it at once (`start` and `id`) the
  // first one's key stands and the other reads it.
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`
  const file = await open(tmp, 'wx', 0o600)
  try {
    await file.writeFile(privateKeyToProtobuf(key))
    await file.sync()
  } finally {
    await file.close()
  }
  try {
    if (!await linkExclusive(tmp, path)) return await loadOrCreateKey(dataDir)
    await syncDirectory(dataDir)
    return key
  } finally {
    await rm(tmp, { force: true })
  }
}

/** Links `from` to `to` unless `to` exists (false then); where hard links are not supported (vfat), renames. */
async function linkExclusive (from: string, to: string): Promise<boolean> {
  try {
    await link(from, to)
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return false
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err
    await rename(from, to)
    return true
  }
}

/**
 * The peer id of the node whose data dir this is, from its key file alone
 * (made if there is none yet): it works beside a node running on the dir,
 * whose database is locked.
 *
 * @throws ConfigError for no data dir, as createVGuardNode does ('' was a raw ENOENT)
 */
export async function peerIdOf (dataDir: string): Promise<string> {
  const dir = resolveDataDir(dataDir)
  // it makes the key there: as createVGuardNode, not inside another node's folders
  await checkNotInsideNode(dir)
  return peerIdFromPrivateKey(await loadOrCreateKey(dir)).toString()
}
