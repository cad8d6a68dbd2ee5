/**
 * What an embedder gets from `import … from 'vguard-node'`: every error the
 * node's methods document as thrown is there, to catch by class or by name.
 */
import { describe, it, expect } from 'vitest'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { builtinModules } from 'node:module'
import * as entry from '../../src/index.ts'

describe('package entry', () => {
  it('exports the errors the public methods throw, each named as its class', () => {
    const names = [
      'ConfigError', 'DataDirError', 'DataDirInUseError', 'InvalidKeyFileError', 'NodeStoppedError', 'NotStartedError', 'ListenError',
      'InvalidTransactionError', 'InvalidBoothError', 'InvalidIdempotencyKeyError', 'ReplicationStoppedError', 'ReplicationFailedError', 'NoHolderReachableError',
      'NoQuorumError', 'CommitTimeoutError', 'NoLeaderError', 'ProposerUnreachableError', 'NotProposerError', 'QuorumReadError',
      'ConsensusStoppedError', 'RefusedWriteError', 'InvalidReadError', 'ChainRecoveryError',
      // node.chains (the chain store): pins, pruned payloads, a full disk, a store closed (stop() under a call, a failed write)
      'InvalidPinError', 'PayloadPrunedError', 'DiskFullError', 'StoreClosedError',
      // a key that is not well-formed unicode, a payload decodeTransactions cannot read, a database that would not open
      'InvalidArgumentError', 'InvalidBlockError', 'DatabaseOpenError',
      // a data dir a newer build wrote in a format this one does not read
      'DataFormatError',
      // a peer that broke its protocol (a forwarded write's proposer, a holder); a Node.js older than 22
      'InvalidMessageError', 'MalformedMessageError', 'AnswerCutOffError', 'ProtocolError', 'UnsupportedRuntimeError',
      // a local read of our own chain while it is not back
      'OwnChainNotBackError',
      // node.sync's fetch and reconcile (docs/protocols.md): a library probe could not catch them by class
      'ChainGoneError', 'ChainMovedError', 'NoRoomError', 'NotVouchedError', 'SlowPeerError'
    ]
    const exported = entry as unknown as Record<string, new (message?: string) => Error>
    for (const name of names) {
      expect(typeof exported[name], name).toBe('function')
      const err = new exported[name]('x')
      expect(err, name).toBeInstanceOf(Error)
      expect(err.name, name).toBe(name)
    }
  })

  it('exports what an embedder needs beside the node: its /status, and a block\'s transactions', () => {
    for (const name of ['createVGuardNode', 'peerIdOf', 'startHttpApi', 'statusOf', 'decodeTransactions', 'toHex']) {
      expect(typeof (entry as unknown as Record<string, unknown>)[name], name).toBe('function')
    }
    expect(entry.toHex(new Uint8Array([0, 171]))).toBe('00ab')
    // a string is not bytes: said so, not Buffer's message about its own arguments
    expect(() => entry.toHex('abc' as unknown as Uint8Array)).toThrow(/toHex takes a Uint8Array, got string/)
  })

  it('names the type of every part of a node: an embedder\'s declarations that name one failed with TS2742 (library probe)', () => {
    // checked by the type checker (npm test runs it): each line is false if the entry's type is not the member's
    const same: Array<true> = [
      true satisfies (entry.VGuardNode['vguarddb'] extends entry.VGuardDB ? true : false),
      true satisfies (entry.VGuardNode['consensus'] extends entry.Consensus ? true : false),
      true satisfies (entry.VGuardNode['chains'] extends entry.ChainStore ? true : false),
      true satisfies (entry.VGuardNode['store'] extends entry.NodeDatabase ? true : false),
      true satisfies (entry.VGuardNode['sync'] extends entry.Sync ? true : false),
      true satisfies (entry.VGuardNode['storageMaster'] extends entry.StorageMaster ? true : false),
      true satisfies (entry.VGuardNode['libp2p'] extends entry.VGuardLibp2p ? true : false),
      true satisfies (Parameters<entry.VGuardDB['readKey']>[2] extends entry.RedirectReadOptions | undefined ? true : false)
    ]
    expect(same).toHaveLength(8)
  })

  it('names the types the public signatures reach (a library probe found them unreachable), and ListenError\'s code', () => {
    const reached: Array<true> = [
      true satisfies (Parameters<typeof entry.createVGuardNode>[1] extends entry.CreateVGuardNodeExtras | undefined ? true : false),
      true satisfies (entry.ReplicationSummary['state'] extends entry.ReplicationState ? true : false),
      true satisfies (entry.Transaction['op'] extends entry.TxOp ? true : false),
      true satisfies (entry.RedirectReadResult['response'] extends entry.ReadResponse ? true : false),
      // GET /status's peers carry the storage they advertised (docs/operations.md), and statusOf's type says so
      true satisfies ('storage' extends keyof entry.StatusBody['peers'][number] ? true : false)
    ]
    expect(reached).toHaveLength(5)
    expect(entry.ReadResponse.Status.REDIRECT).toBe('REDIRECT')
    // a quorum read that knew too few holders: a QuorumReadError by name and class, with whom it knew
    const few = new entry.TooFewHoldersError(['a'], 2)
    expect(few).toBeInstanceOf(entry.QuorumReadError)
    expect(few).toMatchObject({ name: 'QuorumReadError', holders: ['a'], quorum: 2 })
    const failures: entry.ListenFailure[] = [{ address: '/ip4/127.0.0.1/tcp/1', reason: 'in use', code: 'EADDRINUSE' }, { address: '/ip4/127.0.0.1/tcp/2', reason: 'in use', code: 'EADDRINUSE' }]
    expect(new entry.ListenError('x', failures).code).toBe('EADDRINUSE')
    expect(new entry.ListenError('x', [...failures, { address: '/ip4/10.0.0.1/tcp/3', reason: 'no interface', code: 'EADDRNOTAVAIL' }]).code).toBeUndefined()
  })

  it('declares every package its code imports: an installer that does not hoist (pnpm) gives it only those', async () => {
    const root = join(import.meta.dirname, '../..')
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { name: string, dependencies: Record<string, string> }
    const files = (await readdir(join(root, 'src'), { recursive: true })).filter(f => f.endsWith('.ts'))
    const imported = new Set<string>()
    for (const file of files) {
      const text = await readFile(join(root, 'src', file), 'utf8')
      for (const [, spec] of text.matchAll(/^(?:import|export)\b[^'"]*?from '([^'.][^']*)'/gm)) {
        const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]
        if (!spec.startsWith('node:') && !builtinModules.includes(name) && name !== pkg.name) imported.add(name)
      }
    }
    expect(imported.size).toBeGreaterThan(10)
    expect([...imported].filter(name => pkg.dependencies[name] == null).sort()).toEqual([])
  })
})
