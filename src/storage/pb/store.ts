import { decodeMessage, encodeMessage, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface ChainMeta {
  chainId: string
  height: number
  tipHash: Uint8Array<ArrayBuffer>
  bytes: number
  payloadBytes: number
  prunedBlocks: number
  pruneFrom: number
  tipTimestamp: number
  deleting: boolean
  fileId: number
  logSegment: number
  logEnd: number
  durableHeight: number
  deletingKeepsPins: boolean
}

export namespace ChainMeta {
  let _codec: Codec<ChainMeta>

  export const codec = (): Codec<ChainMeta> => {
    if (_codec == null) {
      _codec = message<ChainMeta>((obj, w, opts = {}) => {
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

        if ((obj.bytes != null && obj.bytes !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.bytes)
        }

        if ((obj.payloadBytes != null && obj.payloadBytes !== 0)) {
          w.uint32(40)
          w.uint64Number(obj.payloadBytes)
        }

        if ((obj.prunedBlocks != null && obj.prunedBlocks !== 0)) {
          w.uint32(48)
          w.uint64Number(obj.prunedBlocks)
        }

        if ((obj.pruneFrom != null && obj.pruneFrom !== 0)) {
          w.uint32(56)
          w.uint64Number(obj.pruneFrom)
        }

        if ((obj.tipTimestamp != null && obj.tipTimestamp !== 0)) {
          w.uint32(64)
          w.uint64Number(obj.tipTimestamp)
        }

        if ((obj.deleting != null && obj.deleting !== false)) {
          w.uint32(72)
          w.bool(obj.deleting)
        }

        if ((obj.fileId != null && obj.fileId !== 0)) {
          w.uint32(80)
          w.uint64Number(obj.fileId)
        }

        if ((obj.logSegment != null && obj.logSegment !== 0)) {
          w.uint32(88)
          w.uint64Number(obj.logSegment)
        }

        if ((obj.logEnd != null && obj.logEnd !== 0)) {
          w.uint32(96)
          w.uint64Number(obj.logEnd)
        }

        if ((obj.durableHeight != null && obj.durableHeight !== 0)) {
          w.uint32(104)
          w.uint64Number(obj.durableHeight)
        }

        if ((obj.deletingKeepsPins != null && obj.deletingKeepsPins !== false)) {
          w.uint32(112)
          w.bool(obj.deletingKeepsPins)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          chainId: '',
          height: 0,
          tipHash: uint8ArrayAlloc(0),
          bytes: 0,
          payloadBytes: 0,
          prunedBlocks: 0,
          pruneFrom: 0,
          tipTimestamp: 0,
          deleting: false,
          fileId: 0,
          logSegment: 0,
          logEnd: 0,
          durableHeight: 0,
          deletingKeepsPins: false
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
              obj.bytes = reader.uint64Number()
              break
            }
            case 5: {
              obj.payloadBytes = reader.uint64Number()
              break
            }
            case 6: {
              obj.prunedBlocks = reader.uint64Number()
              break
            }
            case 7: {
              obj.pruneFrom = reader.uint64Number()
              break
            }
            case 8: {
              obj.tipTimestamp = reader.uint64Number()
              break
            }
            case 9: {
              obj.deleting = reader.bool()
              break
            }
            case 10: {
              obj.fileId = reader.uint64Number()
              break
            }
            case 11: {
              obj.logSegment = reader.uint64Number()
              break
            }
            case 12: {
              obj.logEnd = reader.uint64Number()
              break
            }
            case 13: {
              obj.durableHeight = reader.uint64Number()
              break
            }
            case 14: {
              obj.deletingKeepsPins = reader.bool()
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
              yield {
                field: `${prefix}.bytes`,
                value: reader.uint64Number()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.payloadBytes`,
                value: reader.uint64Number()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.prunedBlocks`,
                value: reader.uint64Number()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.pruneFrom`,
                value: reader.uint64Number()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.tipTimestamp`,
                value: reader.uint64Number()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.deleting`,
                value: reader.bool()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.fileId`,
                value: reader.uint64Number()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.logSegment`,
                value: reader.uint64Number()
              }
              break
            }
            case 12: {
              yield {
                field: `${prefix}.logEnd`,
                value: reader.uint64Number()
              }
              break
            }
            case 13: {
              yield {
                field: `${prefix}.durableHeight`,
                value: reader.uint64Number()
              }
              break
            }
            case 14: {
              yield {
                field: `${prefix}.deletingKeepsPins`,
                value: reader.bool()
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

  export interface ChainMetaChainIdFieldEvent {
    field: '$.chainId'
    value: string
  }

  export interface ChainMetaHeightFieldEvent {
    field: '$.height'
    value: number
  }

  export interface ChainMetaTipHashFieldEvent {
    field: '$.tipHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ChainMetaBytesFieldEvent {
    field: '$.bytes'
    value: number
  }

  export interface ChainMetaPayloadBytesFieldEvent {
    field: '$.payloadBytes'
    value: number
  }

  export interface ChainMetaPrunedBlocksFieldEvent {
    field: '$.prunedBlocks'
    value: number
  }

  export interface ChainMetaPruneFromFieldEvent {
    field: '$.pruneFrom'
    value: number
  }

  export interface ChainMetaTipTimestampFieldEvent {
    field: '$.tipTimestamp'
    value: number
  }

  export interface ChainMetaDeletingFieldEvent {
    field: '$.deleting'
    value: boolean
  }

  export interface ChainMetaFileIdFieldEvent {
    field: '$.fileId'
    value: number
  }

  export interface ChainMetaLogSegmentFieldEvent {
    field: '$.logSegment'
    value: number
  }

  export interface ChainMetaLogEndFieldEvent {
    field: '$.logEnd'
    value: number
  }

  export interface ChainMetaDurableHeightFieldEvent {
    field: '$.durableHeight'
    value: number
  }

  export interface ChainMetaDeletingKeepsPinsFieldEvent {
    field: '$.deletingKeepsPins'
    value: boolean
  }

  export function encode (obj: Partial<ChainMeta>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ChainMeta.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChainMeta>): ChainMeta {
    return decodeMessage(buf, ChainMeta.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ChainMeta>): Generator<ChainMetaChainIdFieldEvent | ChainMetaHeightFieldEvent | ChainMetaTipHashFieldEvent | ChainMetaBytesFieldEvent | ChainMetaPayloadBytesFieldEvent | ChainMetaPrunedBlocksFieldEvent | ChainMetaPruneFromFieldEvent | ChainMetaTipTimestampFieldEvent | ChainMetaDeletingFieldEvent | ChainMetaFileIdFieldEvent | ChainMetaLogSegmentFieldEvent | ChainMetaLogEndFieldEvent | ChainMetaDurableHeightFieldEvent | ChainMetaDeletingKeepsPinsFieldEvent> {
    return streamMessage(buf, ChainMeta.codec(), opts)
  }
}
