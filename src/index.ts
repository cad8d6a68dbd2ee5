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
 * // a vehicle on a LAN finds the others by mDNS; `mdns: false` and a loopback `listen` keep it on this machine
 * const node = await createVGuardNode({ dataDir: './data', network: 'fleet' })
 * await node.start()
 * node.addEventListener('chain:committed', (e) => { console.log(e.detail.chainId, e.detail.height) })
 * // own chain, through consensus in its booth (alone, the vehicle is its booth)
 * const { height, hash } = await node.put('gps/1', new TextEncoder().encode('49.01,8.40'))
 * const local = await node.get(node.peerId.toString(), 'gps/1')
 * // with peers: node.put(key, value, { chainId: 'shared' }) writes the network's chain (once it has a leader),
 * // node.get(chainId, key, { consistency: 'quorum' }) asks Nr holders; README.md runs three vehicles
 * console.log(await node.metrics.metrics())                                            // Prometheus text
 * await node.stop()
 * ```
 */
export {
  createVGuardNode, peerIdOf, ConfigError, DataDirError, DataDirInUseError, InvalidKeyFileError, NodeStoppedError, NotStartedError, UnsupportedRuntimeError,
  InvalidTransactionError, InvalidBoothError, InvalidIdempotencyKeyError, ReplicationStoppedError, ReplicationFailedError, OwnChainConflictError, NoHolderReachableError,
  InvalidPinError, DiskFullError, PayloadPrunedError, ChainNotFoundError, StoreClosedError, ListenError
} from './node/index.ts'
export { VERSION } from './node/version.ts'
// a peer's answer that broke its protocol (put, reads): 502 over HTTP, 503 for one cut off
export { InvalidMessageError, MalformedMessageError, AnswerCutOffError, ProtocolError, RequestTooLargeError } from './protocols/errors.ts'
export type { VGuardNode, VGuardNodeOptions, VGuardNodeConfig, VGuardNodeEvents, ConnectedPeer, PinOutcome, CreateVGuardNodeExtras } from './node/index.ts'
export type { ListenFailure } from './node/listen-error.ts'
export type {
  PeerDetail, PeerInfoDetail, PeerRejectedDetail, PeerRejectedCode, BootstrapFailedDetail, ChainCommittedDetail, WriteSettledDetail, StoragePrunedDetail,
  ReplicateFinishedDetail, BackupTableDetail, ReplicateProgressDetail
} from './node/index.ts'
export {
  NoQuorumError, CommitTimeoutError, NoLeaderError, ProposerUnreachableError, NotProposerError, QuorumReadError, ConsensusStoppedError,
  RefusedWriteError, InvalidReadError, ChainRecoveryError, OwnChainNotBackError
} from './node/index.ts'
export type {
  CommitResult, KeyRead, BlockRead, ReadOptions, WriteOptions, Consistency, ReplicationSummary, EndOfBoothInput, ReplicationOutcome, TransactionInput, Pin
} from './node/index.ts'
export type { ReplicaStatus, OwnReplicationStatus } from './node/index.ts'
export type { ReplicationState } from './protocols/write/index.ts'
// a quorum read that knew too few holders to ask (a QuorumReadError)
export { TooFewHoldersError } from './node/quorum-read.ts'
// what node.sync's fetch and reconcile throw besides the errors above
export { ChainGoneError, ChainMovedError, NoRoomError, NotVouchedError, SlowPeerError } from './protocols/sync/index.ts'
// a redirect read's answer (node.vguarddb.readKey / readBlock) and whom a failed one tried
export type { RedirectReadResult, PathEntry, PathOutcome, TriedHolder } from './protocols/read/index.ts'
// its `response`: ReadResponse.Status tells a value from a redirect or an error
export { ReadResponse } from './protocols/read/index.ts'
// a block as reads return it; decodeTransactions reads its payload
export type { Block, BlockHeader, ChainTip, Transaction, TxOp } from './chain/index.ts'
export { decodeTransactions, toHex } from './chain/index.ts'
// what decodeTransactions throws for a payload that is not one; a store read's argument no data can match
// (a key that is not well-formed unicode); a database LevelDB would not open (corrupt, disk full)
export { InvalidBlockError } from './chain/index.ts'
export { InvalidArgumentError } from './storage/errors.ts'
export { DatabaseOpenError } from './storage/database.ts'
export { DataFormatError, DATA_FORMAT } from './storage/format.ts'
export type { StorageUsage } from './storage/retention.ts'
export { startHttpApi } from './http/server.ts'
export type { HttpApi, HttpApiInit } from './http/server.ts'
// what GET /status answers, for an embedder without the HTTP API
export { statusOf } from './http/status.ts'
export type { StatusBody } from './http/status.ts'
// the types of VGuardNode's parts (node.vguarddb, node.consensus, …): an embedder's declarations may name them
export type { VGuardDB, KeysPage, ReadOptions as RedirectReadOptions } from './node/vguarddb.ts'
export type { Consensus } from './node/consensus.ts'
export type { ChainStore } from './storage/index.ts'
export type { NodeDatabase } from './storage/database.ts'
export type { Sync } from './protocols/sync/index.ts'
export type { StorageMaster } from './storage/retention.ts'
export type { VGuardLibp2p } from './node/libp2p.ts'
