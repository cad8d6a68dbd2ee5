import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface SyncRequest {
  type: SyncRequest.Type
  chainId: string
  from: number
  to: number
  credit: number
  headers: boolean
}

export namespace SyncRequest {
  export enum Type {
    TIP = 'TIP',
    BLOCKS = 'BLOCKS',
    CREDIT = 'CREDIT',
    WRITES = 'WRITES'
  }

  enum __TypeValues {
    TIP = 0,
    BLOCKS = 1,
    CREDIT = 2,
    WRITES = 3
  }

  export namespace Type {
    export const codec = (): Codec<Type> => {
      return enumeration<Type>(__TypeValues)
    }
  }

  let _codec: Codec<SyncRequest>

  export const codec = (): Codec<SyncRequest> => {
    if (_codec == null) {
      _codec = message<SyncRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.type != null && __TypeValues[obj.type] !== 0) {
          w.uint32(8)
          SyncRequest.Type.codec().encode(obj.type, w)
        }

        if ((obj.chainId != null && obj.chainId !== '')) {
          w.uint32(18)
          w.string(obj.chainId)
        }

        if ((obj.from != null && obj.from !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.from)
        }

        if ((obj.to != null && obj.to !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.to)
        }

        if ((obj.credit != null && obj.credit !== 0)) {
          w.uint32(40)
          w.uint64Number(obj.credit)
        }

        if ((obj.headers != null && obj.headers !== false)) {
          w.uint32(48)
          w.bool(obj.headers)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: Type.TIP,
          chainId: '',
          from: 0,
          to: 0,
          credit: 0,
          headers: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.type = SyncRequest.Type.codec().decode(reader)
              break
            }
            case 2: {
              obj.chainId = reader.string()
              break
            }
            case 3: {
              obj.from = reader.uint64Number()
              break
            }
            case 4: {
              obj.to = reader.uint64Number()
              break
            }
            case 5: {
              obj.credit = reader.uint64Number()
              break
            }
            case 6: {
              obj.headers = reader.bool()
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
                field: `${prefix}.type`,
                value: SyncRequest.Type.codec().decode(reader)
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
                field: `${prefix}.from`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.to`,
                value: reader.uint64Number()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.credit`,
                value: reader.uint64Number()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.headers`,
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

  export interface SyncRequestTypeFieldEvent {
    field: '$.type'
    value: SyncRequest.Type
  }

  export interface SyncRequestChainIdFieldEvent {
    field: '$.chainId'
    value: string
  }

  export interface SyncRequestFromFieldEvent {
    field: '$.from'
    value: number
  }

  export interface SyncRequestToFieldEvent {
    field: '$.to'
    value: number
  }

  export interface SyncRequestCreditFieldEvent {
    field: '$.credit'
    value: number
  }

  export interface SyncRequestHeadersFieldEvent {
    field: '$.headers'
    value: boolean
  }

  export function encode (obj: Partial<SyncRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncRequest>): SyncRequest {
    return decodeMessage(buf, SyncRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncRequest>): Generator<SyncRequestTypeFieldEvent | SyncRequestChainIdFieldEvent | SyncRequestFromFieldEvent | SyncRequestToFieldEvent | SyncRequestCreditFieldEvent | SyncRequestHeadersFieldEvent> {
    return streamMessage(buf, SyncRequest.codec(), opts)
  }
}

export interface SyncBlock {
  header: Uint8Array<ArrayBuffer>
  payload?: Uint8Array<ArrayBuffer>
}

export namespace SyncBlock {
  let _codec: Codec<SyncBlock>

  export const codec = (): Codec<SyncBlock> => {
    if (_codec == null) {
      _codec = message<SyncBlock>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.header != null && obj.header.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.header)
        }

        if (obj.payload != null) {
          w.uint32(18)
          w.bytes(obj.payload)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          header: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.header = reader.bytes()
              break
            }
            case 2: {
              obj.payload = reader.bytes()
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
                field: `${prefix}.header`,
                value: reader.bytes()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.payload`,
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

  export interface SyncBlockHeaderFieldEvent {
    field: '$.header'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncBlockPayloadFieldEvent {
    field: '$.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<SyncBlock>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncBlock.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncBlock>): SyncBlock {
    return decodeMessage(buf, SyncBlock.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncBlock>): Generator<SyncBlockHeaderFieldEvent | SyncBlockPayloadFieldEvent> {
    return streamMessage(buf, SyncBlock.codec(), opts)
  }
}

export interface SyncWrite {
  key: string
  owner: string
  age: number
  height: number
  hash: Uint8Array<ArrayBuffer>
}

export namespace SyncWrite {
  let _codec: Codec<SyncWrite>

  export const codec = (): Codec<SyncWrite> => {
    if (_codec == null) {
      _codec = message<SyncWrite>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.key != null && obj.key !== '')) {
          w.uint32(10)
          w.string(obj.key)
        }

        if ((obj.owner != null && obj.owner !== '')) {
          w.uint32(18)
          w.string(obj.owner)
        }

        if ((obj.age != null && obj.age !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.age)
        }

        if ((obj.height != null && obj.height !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.height)
        }

        if ((obj.hash != null && obj.hash.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.hash)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          key: '',
          owner: '',
          age: 0,
          height: 0,
          hash: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.key = reader.string()
              break
            }
            case 2: {
              obj.owner = reader.string()
              break
            }
            case 3: {
              obj.age = reader.uint64Number()
              break
            }
            case 4: {
              obj.height = reader.uint64Number()
              break
            }
            case 5: {
              obj.hash = reader.bytes()
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
                field: `${prefix}.key`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.owner`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.age`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.height`,
                value: reader.uint64Number()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.hash`,
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

  export interface SyncWriteKeyFieldEvent {
    field: '$.key'
    value: string
  }

  export interface SyncWriteOwnerFieldEvent {
    field: '$.owner'
    value: string
  }

  export interface SyncWriteAgeFieldEvent {
    field: '$.age'
    value: number
  }

  export interface SyncWriteHeightFieldEvent {
    field: '$.height'
    value: number
  }

  export interface SyncWriteHashFieldEvent {
    field: '$.hash'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<SyncWrite>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncWrite.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncWrite>): SyncWrite {
    return decodeMessage(buf, SyncWrite.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncWrite>): Generator<SyncWriteKeyFieldEvent | SyncWriteOwnerFieldEvent | SyncWriteAgeFieldEvent | SyncWriteHeightFieldEvent | SyncWriteHashFieldEvent> {
    return streamMessage(buf, SyncWrite.codec(), opts)
  }
}

export interface SyncResponse {
  status: SyncResponse.Status
  height: number
  tipHash: Uint8Array<ArrayBuffer>
  blocks: SyncBlock[]
  done: boolean
  message: string
  writes: SyncWrite[]
  refused: boolean
  lasting?: boolean
}

export namespace SyncResponse {
  export enum Status {
    OK = 'OK',
    NOT_FOUND = 'NOT_FOUND',
    BAD_REQUEST = 'BAD_REQUEST',
    PRUNED = 'PRUNED',
    ERROR = 'ERROR'
  }

  enum __StatusValues {
    OK = 0,
    NOT_FOUND = 1,
    BAD_REQUEST = 2,
    PRUNED = 3,
    ERROR = 4
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<SyncResponse>

  export const codec = (): Codec<SyncResponse> => {
    if (_codec == null) {
      _codec = message<SyncResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          SyncResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.height != null && obj.height !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.height)
        }

        if ((obj.tipHash != null && obj.tipHash.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.tipHash)
        }

        if (obj.blocks != null && obj.blocks.length > 0) {
          for (const value of obj.blocks) {
            w.uint32(34)
            SyncBlock.codec().encode(value, w)
          }
        }

        if ((obj.done != null && obj.done !== false)) {
          w.uint32(40)
          w.bool(obj.done)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(50)
          w.string(obj.message)
        }

        if (obj.writes != null && obj.writes.length > 0) {
          for (const value of obj.writes) {
            w.uint32(58)
            SyncWrite.codec().encode(value, w)
          }
        }

        if ((obj.refused != null && obj.refused !== false)) {
          w.uint32(64)
          w.bool(obj.refused)
        }

        if (obj.lasting != null) {
          w.uint32(72)
          w.bool(obj.lasting)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.OK,
          height: 0,
          tipHash: uint8ArrayAlloc(0),
          blocks: [],
          done: false,
          message: '',
          writes: [],
          refused: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = SyncResponse.Status.codec().decode(reader)
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
              if (opts.limits?.blocks != null && obj.blocks.length === opts.limits.blocks) {
                throw new MaxLengthError('Decode error - repeated field "blocks" had too many elements')
              }

              obj.blocks.push(SyncBlock.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.blocks$
              }))
              break
            }
            case 5: {
              obj.done = reader.bool()
              break
            }
            case 6: {
              obj.message = reader.string()
              break
            }
            case 7: {
              if (opts.limits?.writes != null && obj.writes.length === opts.limits.writes) {
                throw new MaxLengthError('Decode error - repeated field "writes" had too many elements')
              }

              obj.writes.push(SyncWrite.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.writes$
              }))
              break
            }
            case 8: {
              obj.refused = reader.bool()
              break
            }
            case 9: {
              obj.lasting = reader.bool()
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
          blocks: 0,
          writes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: SyncResponse.Status.codec().decode(reader)
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
              if (opts.limits?.blocks != null && obj.blocks === opts.limits.blocks) {
                throw new MaxLengthError('Streaming decode error - repeated field "blocks" had too many elements')
              }

              for (const evt of SyncBlock.codec().stream(reader, reader.uint32(), `${prefix}.blocks[]`, {
                limits: opts.limits?.blocks$
              })) {
                yield {
                  ...evt,
                  index: obj.blocks
                }
              }

              obj.blocks++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.done`,
                value: reader.bool()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.message`,
                value: reader.string()
              }
              break
            }
            case 7: {
              if (opts.limits?.writes != null && obj.writes === opts.limits.writes) {
                throw new MaxLengthError('Streaming decode error - repeated field "writes" had too many elements')
              }

              for (const evt of SyncWrite.codec().stream(reader, reader.uint32(), `${prefix}.writes[]`, {
                limits: opts.limits?.writes$
              })) {
                yield {
                  ...evt,
                  index: obj.writes
                }
              }

              obj.writes++

              break
            }
            case 8: {
              yield {
                field: `${prefix}.refused`,
                value: reader.bool()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.lasting`,
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

  export interface SyncResponseStatusFieldEvent {
    field: '$.status'
    value: SyncResponse.Status
  }

  export interface SyncResponseHeightFieldEvent {
    field: '$.height'
    value: number
  }

  export interface SyncResponseTipHashFieldEvent {
    field: '$.tipHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface SyncResponseBlocksHeaderFieldEvent {
    field: '$.blocks[].header'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncResponseBlocksPayloadFieldEvent {
    field: '$.blocks[].payload'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncResponseDoneFieldEvent {
    field: '$.done'
    value: boolean
  }

  export interface SyncResponseMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export interface SyncResponseWritesKeyFieldEvent {
    field: '$.writes[].key'
    value: string
    index: number
  }

  export interface SyncResponseWritesOwnerFieldEvent {
    field: '$.writes[].owner'
    value: string
    index: number
  }

  export interface SyncResponseWritesAgeFieldEvent {
    field: '$.writes[].age'
    value: number
    index: number
  }

  export interface SyncResponseWritesHeightFieldEvent {
    field: '$.writes[].height'
    value: number
    index: number
  }

  export interface SyncResponseWritesHashFieldEvent {
    field: '$.writes[].hash'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface SyncResponseRefusedFieldEvent {
    field: '$.refused'
    value: boolean
  }

  export interface SyncResponseLastingFieldEvent {
    field: '$.lasting'
    value: boolean
  }

  export function encode (obj: Partial<SyncResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, SyncResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncResponse>): SyncResponse {
    return decodeMessage(buf, SyncResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<SyncResponse>): Generator<SyncResponseStatusFieldEvent | SyncResponseHeightFieldEvent | SyncResponseTipHashFieldEvent | SyncResponseBlocksHeaderFieldEvent | SyncResponseBlocksPayloadFieldEvent | SyncResponseDoneFieldEvent | SyncResponseMessageFieldEvent | SyncResponseWritesKeyFieldEvent | SyncResponseWritesOwnerFieldEvent | SyncResponseWritesAgeFieldEvent | SyncResponseWritesHeightFieldEvent | SyncResponseWritesHashFieldEvent | SyncResponseRefusedFieldEvent | SyncResponseLastingFieldEvent> {
    return streamMessage(buf, SyncResponse.codec(), opts)
  }
}
