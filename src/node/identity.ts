/**
 * The node's identity: an Ed25519 key kept in the data dir so that the peer id
 * survives restarts (bootstrap lists and backup tables name peers by id).
 */
import { readFile, writeFile, rename } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { makeDirs } from '../storage/dirs.ts'

export const KEY_FILE = 'peer.key'

/** The key file exists but cannot be used as a libp2p private key. */
export class InvalidKeyFileError extends Error {
  static name = 'InvalidKeyFileError'
  constructor (message = 'Invalid key file') {
    super(message)
    this.name = 'InvalidKeyFileError'
  }
}

export async function loadOrCreateKey (dataDir: string): Promise<PrivateKey> {
  const path = join(dataDir, KEY_FILE)
  let bytes: Uint8Array | undefined
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  if (bytes != null) {
    try {
      return privateKeyFromProtobuf(bytes)
    } catch (err) {
      throw new InvalidKeyFileError(`${path} is not a valid private key: ${(err as Error).message}`)
    }
  }
  const key = await generateKeyPair('Ed25519')
  await makeDirs(dataDir)
  // write-then-rename so a crash never leaves a half-written key (a new id would orphan the chain)
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, privateKeyToProtobuf(key), { mode: 0o600 })
  await rename(tmp, path)
  return key
}
