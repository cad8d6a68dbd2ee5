/**
 * What an embedder gets from `import … from 'vguard-node'`: every error the
 * node's methods document as thrown is there, to catch by class or by name.
 */
import { describe, it, expect } from 'vitest'
import * as entry from '../../src/index.ts'

describe('package entry', () => {
  it('exports the errors the public methods throw, each named as its class', () => {
    const names = [
      'ConfigError', 'DataDirError', 'DataDirInUseError', 'InvalidKeyFileError', 'NodeStoppedError', 'NotStartedError',
      'InvalidTransactionError', 'InvalidBoothError', 'InvalidIdempotencyKeyError', 'ReplicationStoppedError', 'NoHolderReachableError',
      'NoQuorumError', 'CommitTimeoutError', 'NoLeaderError', 'ProposerUnreachableError', 'NotProposerError', 'QuorumReadError',
      'ConsensusStoppedError', 'RefusedWriteError', 'InvalidReadError', 'ChainRecoveryError',
      // node.chains (the chain store): pins, pruned payloads, a full disk
      'InvalidPinError', 'PayloadPrunedError', 'DiskFullError'
    ]
    const exported = entry as unknown as Record<string, new (message?: string) => Error>
    for (const name of names) {
      expect(typeof exported[name], name).toBe('function')
      const err = new exported[name]('x')
      expect(err, name).toBeInstanceOf(Error)
      expect(err.name, name).toBe(name)
    }
  })
})
