import { decodeMessage, encodeMessage, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface BackupTable {
  chainId: string
  epoch: number
  proposer: string
  active: string[]
  obsolete: string[]
  height: number
  tipHash: Uint8Array<ArrayBuffer>
  timestamp: number
  heldHeight?: number
  heldTipHash?: Uint8Array<ArrayBuffer>
}

export namespace BackupTable {
  let _codec: Codec<BackupTable>

  export const codec = (): Codec<BackupTable> => {
    if (_codec == null) {
      _codec = message<BackupTable>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.chainId != null && obj.chainId !== '')) {
          w.uint32(10)
          w.string(obj.chainId)
        }

        if ((obj.epoch != null && obj.epoch !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.epoch)
        }

        if ((obj.proposer != null && obj.proposer !== '')) {
          w.uint32(26)
          w.string(obj.proposer)
        }

        if (obj.active != null && obj.active.length > 0) {
          for (const value of obj.active) {
            w.uint32(34)
            w.string(value)
          }
        }

        if (obj.obsolete != null && obj.obsolete.length > 0) {
          for (const value of obj.obsolete) {
            w.uint32(42)
            w.string(value)
          }
        }

        if ((obj.height != null && obj.height !== 0)) {
          w.uint32(48)
          w.uint64Number(obj.height)
        }

        if ((obj.tipHash != null && obj.tipHash.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.tipHash)
        }

        if ((obj.timestamp != null && obj.timestamp !== 0)) {
          w.uint32(64)
          w.uint64Number(obj.timestamp)
        }

        if (obj.heldHeight != null) {
          w.uint32(72)
          w.uint64Number(obj.heldHeight)
        }

        if (obj.heldTipHash != null) {
          w.uint32(82)
          w.bytes(obj.heldTipHash)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          chainId: '',
          epoch: 0,
          proposer: '',
          active: [],
          obsolete: [],
          height: 0,
          tipHash: uint8ArrayAlloc(0),
          timestamp: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.chainId = reader.string()
              break
            }
            case 2: {
              obj.epoch = reader.uint64Number()
              break
            }
            case 3: {
              obj.proposer = reader.string()
              break
            }
            case 4: {
              if (opts.limits?.active != null && obj.active.length === opts.limits.active) {
                throw new MaxLengthError('Decode error - repeated field "active" had too many elements')
              }

              obj.active.push(reader.string())
              break
            }
            case 5: {
              if (opts.limits?.obsolete != null && obj.obsolete.length === opts.limits.obsolete) {
                throw new MaxLengthError('Decode error - repeated field "obsolete" had too many elements')
              }

              obj.obsolete.push(reader.string())
              break
            }
            case 6: {
              obj.height = reader.uint64Number()
              break
            }
            case 7: {
              obj.tipHash = reader.bytes()
              break
            }
            case 8: {
              obj.timestamp = reader.uint64Number()
              break
            }
            case 9: {
              obj.heldHeight = reader.uint64Number()
              break
            }
            case 10: {
              obj.heldTipHash = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          active: 0,
          obsolete: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.chainId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.epoch`,
                value: reader.uint64Number()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.proposer`,
                value: reader.string()
              }
              break
            }
            case 4: {
              if (opts.limits?.active != null && obj.active === opts.limits.active) {
                throw new MaxLengthError('Streaming decode error - repeated field "active" had too many elements')
              }

              yield {
                field: `${prefix}.active[]`,
                index: obj.active,
                value: reader.string()
              }

              obj.active++

              break
            }
            case 5: {
              if (opts.limits?.obsolete != null && obj.obsolete === opts.limits.obsolete) {
                throw new MaxLengthError('Streaming decode error - repeated field "obsolete" had too many elements')
              }

              yield {
                field: `${prefix}.obsolete[]`,
                index: obj.obsolete,
                value: reader.string()
              }

              obj.obsolete++

              break
            }
            case 6: {
              yield {
                field: `${prefix}.height`,
                value: reader.uint64Number()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.tipHash`,
                value: reader.bytes()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.timestamp`,
                value: reader.uint64Number()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.heldHeight`,
                value: reader.uint64Number()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.heldTipHash`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface BackupTableChainIdFieldEvent {
    field: '$.chainId'
    value: string
  }

  export interface BackupTableEpochFieldEvent {
    field: '$.epoch'
    value: number
  }

  export interface BackupTableProposerFieldEvent {
    field: '$.proposer'
    value: string
  }

  export interface BackupTableActiveFieldEvent {
    field: '$.active[]'
    index: number
    value: string
  }

  export interface BackupTableObsoleteFieldEvent {
    field: '$.obsolete[]'
    index: number
    value: string
  }

  export interface BackupTableHeightFieldEvent {
    field: '$.height'
    value: number
  }

  export interface BackupTableTipHashFieldEvent {
    field: '$.tipHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BackupTableTimestampFieldEvent {
    field: '$.timestamp'
    value: number
  }

  export interface BackupTableHeldHeightFieldEvent {
    field: '$.heldHeight'
    value: number
  }

  export interface BackupTableHeldTipHashFieldEvent {
    field: '$.heldTipHash'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<BackupTable>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, BackupTable.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BackupTable>): BackupTable {
    return decodeMessage(buf, BackupTable.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BackupTable>): Generator<BackupTableChainIdFieldEvent | BackupTableEpochFieldEvent | BackupTableProposerFieldEvent | BackupTableActiveFieldEvent | BackupTableObsoleteFieldEvent | BackupTableHeightFieldEvent | BackupTableTipHashFieldEvent | BackupTableTimestampFieldEvent | BackupTableHeldHeightFieldEvent | BackupTableHeldTipHashFieldEvent> {
    return streamMessage(buf, BackupTable.codec(), opts)
  }
}

export interface SignedBackupTable {
  table: Uint8Array<ArrayBuffer>
  signature: Uint8Array<ArrayBuffer>
}

export namespace SignedBackupTable {
  let _codec: Codec<SignedBackupTable>

  export const codec = (): Codec<SignedBackupTable> => {
    if (_codec == null) {
      _codec = message<SignedBackupTable>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.table != null && obj.table.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.table)
        }

        if ((obj.signature != null && obj.signature.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.signature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          table: uint8ArrayAlloc(0),
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.table = reader.bytes()
              break
            }
            case 2: {
              obj.signature = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.table`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.signature`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface SignedBackupTableTableFieldEvent {
    field: '$.table'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SignedBackupTableSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<SignedBackupTable>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SignedBackupTable.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedBackupTable>): SignedBackupTable {
    return decodeMessage(buf, SignedBackupTable.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SignedBackupTable>): Generator<SignedBackupTableTableFieldEvent | SignedBackupTableSignatureFieldEvent> {
    return streamMessage(buf, SignedBackupTable.codec(), opts)
  }
}

export interface BoothResult {
  chainId: string
  height: number
  tipHash: Uint8Array<ArrayBuffer>
  participants: string[]
  table: Uint8Array<ArrayBuffer>
}

export namespace BoothResult {
  let _codec: Codec<BoothResult>

  export const codec = (): Codec<BoothResult> => {
    if (_codec == null) {
      _codec = message<BoothResult>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.chainId != null && obj.chainId !== '')) {
          w.uint32(10)
          w.string(obj.chainId)
        }

        if ((obj.height != null && obj.height !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.height)
        }

        if ((obj.tipHash != null && obj.tipHash.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.tipHash)
        }

        if (obj.participants != null && obj.participants.length > 0) {
          for (const value of obj.participants) {
            w.uint32(34)
            w.string(value)
          }
        }

        if ((obj.table != null && obj.table.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.table)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          chainId: '',
          height: 0,
          tipHash: uint8ArrayAlloc(0),
          participants: [],
          table: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.chainId = reader.string()
              break
            }
            case 2: {
              obj.height = reader.uint64Number()
              break
            }
            case 3: {
              obj.tipHash = reader.bytes()
              break
            }
            case 4: {
              if (opts.limits?.participants != null && obj.participants.length === opts.limits.participants) {
                throw new MaxLengthError('Decode error - repeated field "participants" had too many elements')
              }

              obj.participants.push(reader.string())
              break
            }
            case 5: {
              obj.table = reader.bytes()
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }

        return obj
      }, function * (reader, length, prefix, opts = {}) {
        const obj = {
          participants: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.chainId`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.height`,
                value: reader.uint64Number()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.tipHash`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              if (opts.limits?.participants != null && obj.participants === opts.limits.participants) {
                throw new MaxLengthError('Streaming decode error - repeated field "participants" had too many elements')
              }

              yield {
                field: `${prefix}.participants[]`,
                index: obj.participants,
                value: reader.string()
              }

              obj.participants++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.table`,
                value: reader.bytes()
              }
              break
            }
            default: {
              reader.skipType(tag & 7)
              break
            }
          }
        }
      })
    }

    return _codec
  }

  export interface BoothResultChainIdFieldEvent {
    field: '$.chainId'
    value: string
  }

  export interface BoothResultHeightFieldEvent {
    field: '$.height'
    value: number
  }

  export interface BoothResultTipHashFieldEvent {
    field: '$.tipHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BoothResultParticipantsFieldEvent {
    field: '$.participants[]'
    index: number
    value: string
  }

  export interface BoothResultTableFieldEvent {
    field: '$.table'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<BoothResult>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, BoothResult.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BoothResult>): BoothResult {
    return decodeMessage(buf, BoothResult.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BoothResult>): Generator<BoothResultChainIdFieldEvent | BoothResultHeightFieldEvent | BoothResultTipHashFieldEvent | BoothResultParticipantsFieldEvent | BoothResultTableFieldEvent> {
    return streamMessage(buf, BoothResult.codec(), opts)
  }
}
