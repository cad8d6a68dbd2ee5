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
 * ```
 */
export { createVGuardNode, ConfigError, DataDirInUseError } from './node/index.ts'
export type { VGuardNode, VGuardNodeOptions, VGuardNodeConfig, VGuardNodeEvents, ConnectedPeer } from './node/index.ts'
export { startHttpApi } from './http/server.ts'
export type { HttpApi, HttpApiInit } from './http/server.ts'
