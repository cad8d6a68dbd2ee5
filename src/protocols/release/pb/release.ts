import { decodeMessage, encodeMessage, enumeration, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface ReleaseRequest {
  table: Uint8Array<ArrayBuffer>
}

export namespace ReleaseRequest {
  let _codec: Codec<ReleaseRequest>

  export const codec = (): Codec<ReleaseRequest> => {
    if (_codec == null) {
      _codec = message<ReleaseRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.table != null && obj.table.byteLength > 0)) {
          w.uint32(10)
          w.bytes(obj.table)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          table: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
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

  export interface ReleaseRequestTableFieldEvent {
    field: '$.table'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ReleaseRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ReleaseRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReleaseRequest>): ReleaseRequest {
    return decodeMessage(buf, ReleaseRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReleaseRequest>): Generator<ReleaseRequestTableFieldEvent> {
    return streamMessage(buf, ReleaseRequest.codec(), opts)
  }
}

export interface ReleaseResponse {
  status: ReleaseResponse.Status
  epoch: number
  deleted: boolean
  message: string
}

export namespace ReleaseResponse {
  export enum Status {
    OK = 'OK',
    STALE = 'STALE',
    INVALID = 'INVALID',
    ERROR = 'ERROR',
    FORBIDDEN = 'FORBIDDEN'
  }

  enum __StatusValues {
    OK = 0,
    STALE = 1,
    INVALID = 2,
    ERROR = 3,
    FORBIDDEN = 4
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  let _codec: Codec<ReleaseResponse>

  export const codec = (): Codec<ReleaseResponse> => {
    if (_codec == null) {
      _codec = message<ReleaseResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          ReleaseResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.epoch != null && obj.epoch !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.epoch)
        }

        if ((obj.deleted != null && obj.deleted !== false)) {
          w.uint32(24)
          w.bool(obj.deleted)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(34)
          w.string(obj.message)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.OK,
          epoch: 0,
          deleted: false,
          message: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = ReleaseResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.epoch = reader.uint64Number()
              break
            }
            case 3: {
              obj.deleted = reader.bool()
              break
            }
            case 4: {
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
                value: ReleaseResponse.Status.codec().decode(reader)
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
                field: `${prefix}.deleted`,
                value: reader.bool()
              }
              break
            }
            case 4: {
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

  export interface ReleaseResponseStatusFieldEvent {
    field: '$.status'
    value: ReleaseResponse.Status
  }

  export interface ReleaseResponseEpochFieldEvent {
    field: '$.epoch'
    value: number
  }

  export interface ReleaseResponseDeletedFieldEvent {
    field: '$.deleted'
    value: boolean
  }

  export interface ReleaseResponseMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export function encode (obj: Partial<ReleaseResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ReleaseResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReleaseResponse>): ReleaseResponse {
    return decodeMessage(buf, ReleaseResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReleaseResponse>): Generator<ReleaseResponseStatusFieldEvent | ReleaseResponseEpochFieldEvent | ReleaseResponseDeletedFieldEvent | ReleaseResponseMessageFieldEvent> {
    return streamMessage(buf, ReleaseResponse.codec(), opts)
  }
}
