/**
 * A vehicle's signatures of the values it proposes on its own chain
 * (ProposerProofs, src/consensus/proofs.ts says why): its booth members keep
 * them with the values and must show them when they report a value back,
 * so none can make one up.
 *
 * Signed: "vguard/paxos-value/1", the chain id, the slot, the round, and the
 * SHA-256 of the value (valueDigest), so a
 * signature holds for that value at that slot and round only; and for a
 * commit it announces, "vguard/paxos-commit/1", the chain id and the commit. Node's
 * crypto signs synchronously (the state machine asks for a signature in the
 * middle of a step) and the key object is made once, not per signature.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import type { PrivateKey } from '@libp2p/interface'
import type { Value, ProposerProofs } from '../consensus/index.ts'

const utf8 = new TextEncoder()
const VALUE_DOMAIN = utf8.encode('vguard/paxos-value/1\0')
const COMMIT_DOMAIN = utf8.encode('vguard/paxos-commit/1\0')
const EMPTY = new Uint8Array(0)
const KIND: Record<Value['kind'], number> = { data: 0, noop: 1, booth: 2 }

/**
 * SHA-256 of the value: its kind, then each field with its length first (a
 * data value's bytes hashed where they lie: encoding it first copied up to
 * 4 MiB per proposal).
 */
function valueDigest (value: Value): Uint8Array {
  const hash = createHash('sha256')
  const field = (bytes: Uint8Array): void => {
    const length = new Uint8Array(4)
    new DataView(length.buffer).setUint32(0, bytes.byteLength)
    hash.update(length).update(bytes)
  }
  hash.update(Uint8Array.of(KIND[value.kind]))
  if (value.kind === 'data') {
    field(utf8.encode(value.id))
    field(value.data)
  } else if (value.kind === 'booth') {
    for (const member of value.members) field(utf8.encode(member))
  }
  return hash.digest()
}

/** A domain, the chain id (length first), then the numbers (8 bytes each, big-endian), then `tail`. */
function framed (domain: Uint8Array, chainId: string, numbers: number[], tail: Uint8Array): Uint8Array {
  const id = utf8.encode(chainId)
  const out = new Uint8Array(domain.byteLength + 4 + id.byteLength + 8 * numbers.length + tail.byteLength)
  const view = new DataView(out.buffer)
  out.set(domain)
  let at = domain.byteLength
  view.setUint32(at, id.byteLength); at += 4
  out.set(id, at); at += id.byteLength
  for (const n of numbers) { view.setBigUint64(at, BigInt(n)); at += 8 }
  out.set(tail, at)
  return out
}

/** The bytes signed for `value` at `slot` in `round` of `chainId`. */
export function signedBytes (chainId: string, slot: number, round: number, value: Value): Uint8Array {
  return framed(VALUE_DOMAIN, chainId, [slot, round], valueDigest(value))
}

/** The bytes signed for: every slot ≤ `commit` of `chainId` is decided. */
export function signedCommitBytes (chainId: string, commit: number): Uint8Array {
  return framed(COMMIT_DOMAIN, chainId, [commit], EMPTY)
}

function base64url (bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url')
}

/** Node key objects for an Ed25519 libp2p key (raw: 32-byte seed, then the 32-byte public key). */
function keyObjects (key: PrivateKey): { privateKey: KeyObject, publicKey: KeyObject } {
  const jwk = { kty: 'OKP', crv: 'Ed25519', d: base64url(key.raw.subarray(0, 32)), x: base64url(key.raw.subarray(32)) }
  return { privateKey: createPrivateKey({ key: jwk, format: 'jwk' }), publicKey: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: jwk.x }, format: 'jwk' }) }
}

/**
 * The proofs of the vehicle holding `key` on its own chain `chainId`, or
 * undefined for a key that is not Ed25519 (one put in the data dir by hand:
 * the node makes Ed25519 keys). Its chain then runs without proofs, as
 * before they existed, rather than not at all.
 */
export function ownValueProofs (chainId: string, key: PrivateKey): ProposerProofs | undefined {
  if (key.type !== 'Ed25519' || key.raw.byteLength !== 64) return undefined
  const { privateKey, publicKey } = keyObjects(key)
  const checks = (bytes: Uint8Array, signature: Uint8Array): boolean => {
    try {
      return verify(null, bytes, publicKey, signature)
    } catch {
      return false
    }
  }
  return {
    sign: (slot, round, value) => sign(null, signedBytes(chainId, slot, round, value), privateKey),
    verify: (slot, round, value, signature) => checks(signedBytes(chainId, slot, round, value), signature),
    signCommit: (commit) => sign(null, signedCommitBytes(chainId, commit), privateKey),
    verifyCommit: (commit, signature) => checks(signedCommitBytes(chainId, commit), signature)
  }
}
