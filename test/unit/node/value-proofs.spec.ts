/**
 * A vehicle's signatures of the values it proposes and the commits it
 * announces (src/node/value-proofs.ts), with real Ed25519 keys: they hold for
 * one chain, slot, round and value (one chain and commit), only the vehicle's
 * key makes them, and they are plain Ed25519 signatures its peer id's public
 * key checks.
 */
import { describe, expect, it } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { ownValueProofs, signedBytes, signedCommitBytes } from '../../../src/node/value-proofs.ts'
import type { ProposerProofs, Value } from '../../../src/consensus/index.ts'

const value: Value = { kind: 'data', id: 'w1', data: new TextEncoder().encode('fix 52.1,13.4') }

function proofsOf (chainId: string, key: PrivateKey): ProposerProofs {
  const proofs = ownValueProofs(chainId, key)
  if (proofs == null) throw new Error('an Ed25519 key has proofs')
  return proofs
}

describe('node - value proofs', async () => {
  const key = await generateKeyPair('Ed25519')
  const chainId = peerIdFromPrivateKey(key).toString()
  const proofs = proofsOf(chainId, key)
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
    // fields cannot shift into one another: id "ab" + data "c" is not id "a" + data "bc"
    const ab = proofs.sign(1, 1, { kind: 'data', id: 'ab', data: Uint8Array.of(99) })
    expect(proofs.verify(1, 1, { kind: 'data', id: 'a', data: Uint8Array.of(98, 99) }, ab)).toBe(false)
    const booth = proofs.sign(1, 1, { kind: 'booth', members: ['ab', 'c'] })
    expect(proofs.verify(1, 1, { kind: 'booth', members: ['a', 'bc'] }, booth)).toBe(false)
  })

  it('signs a commit; the signature checks for that commit only, and never as a value\'s (nor the reverse)', () => {
    const commit = proofs.signCommit(12)
    expect(proofs.verifyCommit(12, commit)).toBe(true)
    expect(proofs.verifyCommit(13, commit)).toBe(false)
    expect(proofs.verify(12, 0, { kind: 'noop' }, commit)).toBe(false)
    expect(proofs.verifyCommit(7, signature)).toBe(false)
  })

  it('holds for its chain only, and only the vehicle\'s key makes one', async () => {
    const other = await generateKeyPair('Ed25519')
    expect(proofsOf('another-chain', key).verify(7, 3, value, signature)).toBe(false)
    expect(proofsOf('another-chain', key).verifyCommit(12, proofs.signCommit(12))).toBe(false)
    expect(proofs.verify(7, 3, value, proofsOf(chainId, other).sign(7, 3, value))).toBe(false)
    expect(proofs.verifyCommit(12, proofsOf(chainId, other).signCommit(12))).toBe(false)
  })

  it('is the Ed25519 signature the vehicle\'s public key (its peer id) checks', async () => {
    expect(await key.publicKey.verify(signedBytes(chainId, 7, 3, value), signature)).toBe(true)
    expect(await key.publicKey.verify(signedCommitBytes(chainId, 12), proofs.signCommit(12))).toBe(true)
    for (const v of [{ kind: 'noop' }, { kind: 'booth', members: ['a', 'b'] }] satisfies Value[]) {
      expect(await key.publicKey.verify(signedBytes(chainId, 1, 1, v), proofs.sign(1, 1, v))).toBe(true)
    }
  })

  it('has none for a key that is not Ed25519 (the chain runs without, rather than not at all)', async () => {
    const secp = await generateKeyPair('secp256k1')
    expect(ownValueProofs(chainId, secp)).toBeUndefined()
  })
})
