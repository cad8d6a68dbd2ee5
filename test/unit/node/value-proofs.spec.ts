/**
 * A vehicle's signatures of the values it proposes (src/node/value-proofs.ts),
 * with real Ed25519 keys: they hold for one chain, slot, round and value,
 * only the vehicle's key makes them, and they are plain Ed25519 signatures
 * its peer id's public key checks.
 */
import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { ownValueProofs, signedBytes } from '../../../src/node/value-proofs.ts'
import type { Value } from '../../../src/consensus/index.ts'

const value: Value = { kind: 'data', id: 'w1', data: new TextEncoder().encode('fix 52.1,13.4') }

describe('node - value proofs', async () => {
  const key = await generateKeyPair('Ed25519')
  const chainId = peerIdFromPrivateKey(key).toString()
  const proofs = ownValueProofs(chainId, key)
  const signature = proofs.sign(7, 3, value)

  it('signs a value at a slot and round; the signature checks there and nowhere else', () => {
    expect(signature.byteLength).toBe(64)
    expect(proofs.verify(7, 3, value, signature)).toBe(true)
    expect(proofs.verify(8, 3, value, signature)).toBe(false)
    expect(proofs.verify(7, 4, value, signature)).toBe(false)
    expect(proofs.verify(7, 3, { ...value, data: Uint8Array.of(1) }, signature)).toBe(false)
    expect(proofs.verify(7, 3, { ...value, id: 'w2' }, signature)).toBe(false)
    expect(proofs.verify(7, 3, { kind: 'noop' }, signature)).toBe(false)
    expect(proofs.verify(7, 3, value, Uint8Array.of(1, 2, 3))).toBe(false)
  })

  it('holds for its chain only, and only the vehicle\'s key makes one', async () => {
    const other = await generateKeyPair('Ed25519')
    expect(ownValueProofs('another-chain', key).verify(7, 3, value, signature)).toBe(false)
    expect(proofs.verify(7, 3, value, ownValueProofs(chainId, other).sign(7, 3, value))).toBe(false)
  })

  it('is the Ed25519 signature the vehicle\'s public key (its peer id) checks', async () => {
    expect(await key.publicKey.verify(signedBytes(chainId, 7, 3, value), signature)).toBe(true)
    for (const v of [{ kind: 'noop' }, { kind: 'booth', members: ['a', 'b'] }] satisfies Value[]) {
      expect(await key.publicKey.verify(signedBytes(chainId, 1, 1, v), proofs.sign(1, 1, v))).toBe(true)
    }
  })

  it('refuses a key that is not Ed25519', async () => {
    const secp = await generateKeyPair('secp256k1')
    expect(() => ownValueProofs(chainId, secp)).toThrow(TypeError)
  })
})
