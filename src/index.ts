/**
 * @packageDocumentation
 *
 * vguard-node: the VGuardDB storage layer as a libp2p node.
 *
 * @example
 *
 * ```ts
 * import { createVGuardNode } from 'vguard-node'
 *
 * const node = await createVGuardNode({ dataDir: './data', network: 'fleet' })
 * await node.start()
 * const { height, hash } = await node.put('gps/1', new TextEncoder().encode('49.01,8.40'))   // own chain, through consensus
 * await node.put('notice', new TextEncoder().encode('road closed'), { chainId: 'shared' }) // the network's chain
 * const read = await node.get(node.peerId.toString(), 'gps/1', { consistency: 'quorum' })
 * node.addEventListener('chain:committed', (e) => { console.log(e.detail.chainId, e.detail.height) })
 * console.log(await node.metrics.metrics())                                            // Prometheus text
 * ```
 */
export {
  createVGuardNode, peerIdOf, ConfigError, DataDirError, DataDirInUseError, InvalidKeyFileError, NodeStoppedError, NotStartedError,
  InvalidTransactionError, InvalidBoothError, InvalidIdempotencyKeyError, ReplicationStoppedError, NoHolderReachableError,
  InvalidPinError, DiskFullError, PayloadPrunedError
} from './node/index.ts'
export { VERSION } from './node/version.ts'
export type { VGuardNode, VGuardNodeOptions, VGuardNodeConfig, VGuardNodeEvents, ConnectedPeer } from './node/index.ts'
export type {
  PeerDetail, PeerInfoDetail, PeerRejectedDetail, PeerRejectedCode, BootstrapFailedDetail, ChainCommittedDetail, WriteSettledDetail,
  ReplicateFinishedDetail, BackupTableDetail, ReplicateProgressDetail
} from './node/index.ts'
export {
  NoQuorumError, CommitTimeoutError, NoLeaderError, ProposerUnreachableError, NotProposerError, QuorumReadError, ConsensusStoppedError,
  RefusedWriteError, InvalidReadError, ChainRecoveryError
} from './node/index.ts'
export type {
  CommitResult, KeyRead, BlockRead, ReadOptions, WriteOptions, Consistency, ReplicationSummary, EndOfBoothInput, ReplicationOutcome, TransactionInput, Pin
} from './node/index.ts'
export { startHttpApi } from './http/server.ts'
export type { HttpApi, HttpApiInit } from './http/server.ts'
