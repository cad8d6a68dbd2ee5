/**
 * The key file behind a node's peer id: made once, whole, and the same key
 * for every process that asks at the same time (`start` beside `id`).
 */
import { describe, it, expect, afterEach } from 'vitest'
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { KEY_FILE, loadOrCreateKey, peerIdOf } from '../../../src/node/identity.ts'
import { createVGuardNode } from '../../../src/node/index.ts'

describe('node - identity', () => {
  let dir: string | undefined
  afterEach(async () => {
    if (dir != null) await rm(dir, { recursive: true, force: true })
  })

  it('callers racing to make the key all get the same one, and no temporary file stays', async () => {
    // the temp dir is what teardown removes; the data dir does not exist yet
    dir = await mkdtemp(join(tmpdir(), 'vguard-identity-'))
    const vehicle = join(dir, 'vehicle')
    const ids = await Promise.all(Array.from({ length: 16 }, async () => await peerIdOf(vehicle)))
    expect(new Set(ids).size).toBe(1)
    expect(await peerIdOf(vehicle)).toBe(ids[0])
    expect(await readdir(vehicle)).toEqual([KEY_FILE])
  })

  it('no data dir is a ConfigError, as for createVGuardNode', async () => {
    await expect(peerIdOf('')).rejects.toMatchObject({ name: 'ConfigError', message: 'dataDir: required' })
  })

  it('a key file that is not a key is refused, never replaced', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-identity-'))
    await writeFile(join(dir, KEY_FILE), 'not a key')
    await expect(loadOrCreateKey(dir)).rejects.toMatchObject({ name: 'InvalidKeyFileError' })
    await expect(readdir(dir)).resolves.toEqual([KEY_FILE])
    // a node on that dir is refused before it makes its database there
    await expect(createVGuardNode({ dataDir: dir, mdns: false })).rejects.toMatchObject({ name: 'InvalidKeyFileError' })
    await expect(readdir(dir)).resolves.toEqual([KEY_FILE])
  })

  it('a key file that is empty or cannot be read is refused naming it (Node\'s EISDIR named no path; libp2p called an empty one an unsupported type)', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-identity-'))
    const empty = join(dir, 'empty')
    await mkdir(empty)
    await writeFile(join(empty, KEY_FILE), '')
    await expect(loadOrCreateKey(empty)).rejects.toMatchObject({ name: 'InvalidKeyFileError', message: `${join(empty, KEY_FILE)} is empty, not a private key (move it aside and start makes one, under a new peer id)` })
    const folder = join(dir, 'folder')
    await mkdir(join(folder, KEY_FILE), { recursive: true })
    await expect(loadOrCreateKey(folder)).rejects.toMatchObject({ name: 'DataDirError', message: expect.stringMatching(new RegExp(`^cannot read ${join(folder, KEY_FILE)}: EISDIR`)) })
    await expect(createVGuardNode({ dataDir: folder, mdns: false })).rejects.toMatchObject({ name: 'DataDirError' })
    await expect(readdir(folder)).resolves.toEqual([KEY_FILE])
  })

  it('an RSA key, whose peer id carries no public key, is refused before anything is made: its backup tables could not be verified', async () => {
    dir = await mkdtemp(join(tmpdir(), 'vguard-identity-'))
    await writeFile(join(dir, KEY_FILE), privateKeyToProtobuf(await generateKeyPair('RSA', 2048)))
    // it committed every write, then failed every replication round (a review)
    await expect(createVGuardNode({ dataDir: dir, mdns: false })).rejects.toMatchObject({ name: 'InvalidKeyFileError', message: expect.stringContaining('is a RSA key, whose peer id does not carry its public key') })
    await expect(readdir(dir)).resolves.toEqual([KEY_FILE])
    // a secp256k1 id carries its key: taken
    await writeFile(join(dir, KEY_FILE), privateKeyToProtobuf(await generateKeyPair('secp256k1')))
    expect((await loadOrCreateKey(dir)).type).toBe('secp256k1')
  }, 30_000)
})
