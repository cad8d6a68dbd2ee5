import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface ReplicateRequest {
  type: ReplicateRequest.Type
  chainId: string
  height: number
  tipHash: Uint8Array<ArrayBuffer>
  bytes: number
  epoch: number
  reset: boolean
  blocks: Uint8Array<ArrayBuffer>[]
}

export namespace ReplicateRequest {
  export enum Type {
    OFFER = 'OFFER',
    BLOCKS = 'BLOCKS',
    DONE = 'DONE'
  }

  enum __TypeValues {
    OFFER = 0,
    BLOCKS = 1,
    DONE = 2
  }

  export namespace Type {
    export const codec = (): Codec<Type> => {
      return enumeration<Type>(__TypeValues)
    }
  }

  let _codec: Codec<ReplicateRequest>

  export const codec = (): Codec<ReplicateRequest> => {
    if (_codec == null) {
      _codec = message<ReplicateRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.type != null && __TypeValues[obj.type] !== 0) {
          w.uint32(8)
          ReplicateRequest.Type.codec().encode(obj.type, w)
        }

        if ((obj.chainId != null && obj.chainId !== '')) {
          w.uint32(18)
          w.string(obj.chainId)
        }

        if ((obj.height != null && obj.height !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.height)
        }

        if ((obj.tipHash != null && obj.tipHash.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.tipHash)
        }

        if ((obj.bytes != null && obj.bytes !== 0)) {
          w.uint32(40)
          w.uint64Number(obj.bytes)
        }

        if ((obj.epoch != null && obj.epoch !== 0)) {
          w.uint32(48)
          w.uint64Number(obj.epoch)
        }

        if ((obj.reset != null && obj.reset !== false)) {
          w.uint32(56)
          w.bool(obj.reset)
        }

        if (obj.blocks != null && obj.blocks.length > 0) {
          for (const value of obj.blocks) {
            w.uint32(66)
            w.bytes(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: Type.OFFER,
          chainId: '',
          height: 0,
          tipHash: uint8ArrayAlloc(0),
          bytes: 0,
          epoch: 0,
          reset: false,
          blocks: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.type = ReplicateRequest.Type.codec().decode(reader)
              break
            }
            case 2: {
              obj.chainId = reader.string()
              break
            }
            case 3: {
              obj.height = reader.uint64Number()
              break
            }
            case 4: {
              obj.tipHash = reader.bytes()
              break
            }
            case 5: {
              obj.bytes = reader.uint64Number()
              break
            }
            case 6: {
              obj.epoch = reader.uint64Number()
              break
            }
            case 7: {
              obj.reset = reader.bool()
              break
            }
            case 8: {
              if (opts.limits?.blocks != null && obj.blocks.length === opts.limits.blocks) {
                throw new MaxLengthError('Decode error - repeated field "blocks" had too many elements')
              }

              obj.blocks.push(reader.bytes())
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
          blocks: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.type`,
                value: ReplicateRequest.Type.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.chainId`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.height`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.tipHash`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.bytes`,
                value: reader.uint64Number()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.epoch`,
                value: reader.uint64Number()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.reset`,
                value: reader.bool()
              }
              break
            }
            case 8: {
              if (opts.limits?.blocks != null && obj.blocks === opts.limits.blocks) {
                throw new MaxLengthError('Streaming decode error - repeated field "blocks" had too many elements')
              }

              yield {
                field: `${prefix}.blocks[]`,
                index: obj.blocks,
                value: reader.bytes()
              }

              obj.blocks++

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

  export interface ReplicateRequestTypeFieldEvent {
    field: '$.type'
    value: ReplicateRequest.Type
  }

  export interface ReplicateRequestChainIdFieldEvent {
    field: '$.chainId'
    value: string
  }

  export interface ReplicateRequestHeightFieldEvent {
    field: '$.height'
    value: number
  }

  export interface ReplicateRequestTipHashFieldEvent {
    field: '$.tipHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReplicateRequestBytesFieldEvent {
    field: '$.bytes'
    value: number
  }

  export interface ReplicateRequestEpochFieldEvent {
    field: '$.epoch'
    value: number
  }

  export interface ReplicateRequestResetFieldEvent {
    field: '$.reset'
    value: boolean
  }

  export interface ReplicateRequestBlocksFieldEvent {
    field: '$.blocks[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ReplicateRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ReplicateRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReplicateRequest>): ReplicateRequest {
    return decodeMessage(buf, ReplicateRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReplicateRequest>): Generator<ReplicateRequestTypeFieldEvent | ReplicateRequestChainIdFieldEvent | ReplicateRequestHeightFieldEvent | ReplicateRequestTipHashFieldEvent | ReplicateRequestBytesFieldEvent | ReplicateRequestEpochFieldEvent | ReplicateRequestResetFieldEvent | ReplicateRequestBlocksFieldEvent> {
    return streamMessage(buf, ReplicateRequest.codec(), opts)
  }
}

export interface ReplicateResponse {
  status: ReplicateResponse.Status
  height: number
  tipHash: Uint8Array<ArrayBuffer>
  free: number
  message: string
}

export namespace ReplicateResponse {
  export enum Status {
    OK = 'OK',
    NO_CAPACITY = 'NO_CAPACITY',
    INVALID = 'INVALID',
    FORBIDDEN = 'FORBIDDEN',
    ERROR = 'ERROR'
  }

  enum __StatusValues {
    OK = 0,
    NO_CAPACITY = 1,
    INVALID = 2,
    FORBIDDEN = 3,
    ERROR = 4
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<ReplicateResponse>

  export const codec = (): Codec<ReplicateResponse> => {
    if (_codec == null) {
      _codec = message<ReplicateResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          ReplicateResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.height != null && obj.height !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.height)
        }

        if ((obj.tipHash != null && obj.tipHash.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.tipHash)
        }

        if ((obj.free != null && obj.free !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.free)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(42)
          w.string(obj.message)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.OK,
          height: 0,
          tipHash: uint8ArrayAlloc(0),
          free: 0,
          message: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = ReplicateResponse.Status.codec().decode(reader)
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
              obj.free = reader.uint64Number()
              break
            }
            case 5: {
              obj.message = reader.string()
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
                field: `${prefix}.status`,
                value: ReplicateResponse.Status.codec().decode(reader)
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
                field: `${prefix}.free`,
                value: reader.uint64Number()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.message`,
                value: reader.string()
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

  export interface ReplicateResponseStatusFieldEvent {
    field: '$.status'
    value: ReplicateResponse.Status
  }

  export interface ReplicateResponseHeightFieldEvent {
    field: '$.height'
    value: number
  }

  export interface ReplicateResponseTipHashFieldEvent {
    field: '$.tipHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReplicateResponseFreeFieldEvent {
    field: '$.free'
    value: number
  }

  export interface ReplicateResponseMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export function encode (obj: Partial<ReplicateResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ReplicateResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReplicateResponse>): ReplicateResponse {
    return decodeMessage(buf, ReplicateResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReplicateResponse>): Generator<ReplicateResponseStatusFieldEvent | ReplicateResponseHeightFieldEvent | ReplicateResponseTipHashFieldEvent | ReplicateResponseFreeFieldEvent | ReplicateResponseMessageFieldEvent> {
    return streamMessage(buf, ReplicateResponse.codec(), opts)
  }
}
