/**
 * Value proofs for state machine tests: a keyed hash stands in for the
 * vehicle's Ed25519 signature (src/node/value-proofs.ts signs for real), so
 * a proof holds for one slot, round and value only, and only its signer
 * makes one; likewise for a commit.
 */
import { createHmac } from 'node:crypto'
import { valueKey } from './cluster.ts'
import type { Value, ProposerProofs } from '../../../../src/consensus/index.ts'

export function testSignature (signer: string, slot: number, round: number, value: Value): Uint8Array {
  return createHmac('sha256', signer).update(`${slot}|${round}|${valueKey(value)}`).digest()
}

export function testCommitSignature (signer: string, commit: number): Uint8Array {
  return createHmac('sha256', signer).update(`commit|${commit}`).digest()
}

/** The proofs of proposer `signer`. */
export function testProofs (signer: string): ProposerProofs {
  return {
    sign: (slot, round, value) => testSignature(signer, slot, round, value),
    verify: (slot, round, value, signature) => Buffer.from(testSignature(signer, slot, round, value)).equals(signature),
    signCommit: (commit) => testCommitSignature(signer, commit),
    verifyCommit: (commit, signature) => Buffer.from(testCommitSignature(signer, commit)).equals(signature)
  }
}
