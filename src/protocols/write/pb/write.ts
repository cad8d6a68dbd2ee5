import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface WriteRequest {
  chainId: string
  payload: Uint8Array<ArrayBuffer>
  timeout: number
  skipReplication: boolean
  writeId: Uint8Array<ArrayBuffer>
  idempotencyKey: string
}

export namespace WriteRequest {
  let _codec: Codec<WriteRequest>

  export const codec = (): Codec<WriteRequest> => {
    if (_codec == null) {
      _codec = message<WriteRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.chainId != null && obj.chainId !== '')) {
          w.uint32(10)
          w.string(obj.chainId)
        }

        if ((obj.payload != null && obj.payload.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.payload)
        }

        if ((obj.timeout != null && obj.timeout !== 0)) {
          w.uint32(24)
          w.uint32(obj.timeout)
        }

        if ((obj.skipReplication != null && obj.skipReplication !== false)) {
          w.uint32(32)
          w.bool(obj.skipReplication)
        }

        if ((obj.writeId != null && obj.writeId.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.writeId)
        }

        if ((obj.idempotencyKey != null && obj.idempotencyKey !== '')) {
          w.uint32(50)
          w.string(obj.idempotencyKey)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          chainId: '',
          payload: uint8ArrayAlloc(0),
          timeout: 0,
          skipReplication: false,
          writeId: uint8ArrayAlloc(0),
          idempotencyKey: ''
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
              obj.payload = reader.bytes()
              break
            }
            case 3: {
              obj.timeout = reader.uint32()
              break
            }
            case 4: {
              obj.skipReplication = reader.bool()
              break
            }
            case 5: {
              obj.writeId = reader.bytes()
              break
            }
            case 6: {
              obj.idempotencyKey = reader.string()
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
                field: `${prefix}.payload`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.timeout`,
                value: reader.uint32()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.skipReplication`,
                value: reader.bool()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.writeId`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.idempotencyKey`,
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

  export interface WriteRequestChainIdFieldEvent {
    field: '$.chainId'
    value: string
  }

  export interface WriteRequestPayloadFieldEvent {
    field: '$.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WriteRequestTimeoutFieldEvent {
    field: '$.timeout'
    value: number
  }

  export interface WriteRequestSkipReplicationFieldEvent {
    field: '$.skipReplication'
    value: boolean
  }

  export interface WriteRequestWriteIdFieldEvent {
    field: '$.writeId'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WriteRequestIdempotencyKeyFieldEvent {
    field: '$.idempotencyKey'
    value: string
  }

  export function encode (obj: Partial<WriteRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, WriteRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WriteRequest>): WriteRequest {
    return decodeMessage(buf, WriteRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WriteRequest>): Generator<WriteRequestChainIdFieldEvent | WriteRequestPayloadFieldEvent | WriteRequestTimeoutFieldEvent | WriteRequestSkipReplicationFieldEvent | WriteRequestWriteIdFieldEvent | WriteRequestIdempotencyKeyFieldEvent> {
    return streamMessage(buf, WriteRequest.codec(), opts)
  }
}

export interface WriteResponse {
  status: WriteResponse.Status
  height: number
  hash: Uint8Array<ArrayBuffer>
  leader: string
  message: string
  replication: WriteResponse.Replication
  backups: string[]
  error: string
  mayHaveCommitted: boolean
}

export namespace WriteResponse {
  export enum Status {
    OK = 'OK',
    NOT_LEADER = 'NOT_LEADER',
    NO_QUORUM = 'NO_QUORUM',
    COMMIT_TIMEOUT = 'COMMIT_TIMEOUT',
    INVALID = 'INVALID',
    REFUSED = 'REFUSED',
    ERROR = 'ERROR'
  }

  enum __StatusValues {
    OK = 0,
    NOT_LEADER = 1,
    NO_QUORUM = 2,
    COMMIT_TIMEOUT = 3,
    INVALID = 4,
    REFUSED = 5,
    ERROR = 6
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  export enum Replication {
    NOT_REPORTED = 'NOT_REPORTED',
    COMPLETE = 'COMPLETE',
    PARTIAL = 'PARTIAL',
    PENDING = 'PENDING'
  }

  enum __ReplicationValues {
    NOT_REPORTED = 0,
    COMPLETE = 1,
    PARTIAL = 2,
    PENDING = 3
  }

  export namespace Replication {
    export const codec = (): Codec<Replication> => {
      return enumeration<Replication>(__ReplicationValues)
    }
  }

  let _codec: Codec<WriteResponse>

  export const codec = (): Codec<WriteResponse> => {
    if (_codec == null) {
      _codec = message<WriteResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          WriteResponse.Status.codec().encode(obj.status, w)
        }

        if ((obj.height != null && obj.height !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.height)
        }

        if ((obj.hash != null && obj.hash.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.hash)
        }

        if ((obj.leader != null && obj.leader !== '')) {
          w.uint32(34)
          w.string(obj.leader)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(42)
          w.string(obj.message)
        }

        if (obj.replication != null && __ReplicationValues[obj.replication] !== 0) {
          w.uint32(48)
          WriteResponse.Replication.codec().encode(obj.replication, w)
        }

        if (obj.backups != null && obj.backups.length > 0) {
          for (const value of obj.backups) {
            w.uint32(58)
            w.string(value)
          }
        }

        if ((obj.error != null && obj.error !== '')) {
          w.uint32(66)
          w.string(obj.error)
        }

        if ((obj.mayHaveCommitted != null && obj.mayHaveCommitted !== false)) {
          w.uint32(72)
          w.bool(obj.mayHaveCommitted)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.OK,
          height: 0,
          hash: uint8ArrayAlloc(0),
          leader: '',
          message: '',
          replication: Replication.NOT_REPORTED,
          backups: [],
          error: '',
          mayHaveCommitted: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = WriteResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.height = reader.uint64Number()
              break
            }
            case 3: {
              obj.hash = reader.bytes()
              break
            }
            case 4: {
              obj.leader = reader.string()
              break
            }
            case 5: {
              obj.message = reader.string()
              break
            }
            case 6: {
              obj.replication = WriteResponse.Replication.codec().decode(reader)
              break
            }
            case 7: {
              if (opts.limits?.backups != null && obj.backups.length === opts.limits.backups) {
                throw new MaxLengthError('Decode error - repeated field "backups" had too many elements')
              }

              obj.backups.push(reader.string())
              break
            }
            case 8: {
              obj.error = reader.string()
              break
            }
            case 9: {
              obj.mayHaveCommitted = reader.bool()
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
          backups: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: WriteResponse.Status.codec().decode(reader)
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
                field: `${prefix}.hash`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.leader`,
                value: reader.string()
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
            case 6: {
              yield {
                field: `${prefix}.replication`,
                value: WriteResponse.Replication.codec().decode(reader)
              }
              break
            }
            case 7: {
              if (opts.limits?.backups != null && obj.backups === opts.limits.backups) {
                throw new MaxLengthError('Streaming decode error - repeated field "backups" had too many elements')
              }

              yield {
                field: `${prefix}.backups[]`,
                index: obj.backups,
                value: reader.string()
              }

              obj.backups++

              break
            }
            case 8: {
              yield {
                field: `${prefix}.error`,
                value: reader.string()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.mayHaveCommitted`,
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

  export interface WriteResponseStatusFieldEvent {
    field: '$.status'
    value: WriteResponse.Status
  }

  export interface WriteResponseHeightFieldEvent {
    field: '$.height'
    value: number
  }

  export interface WriteResponseHashFieldEvent {
    field: '$.hash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WriteResponseLeaderFieldEvent {
    field: '$.leader'
    value: string
  }

  export interface WriteResponseMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export interface WriteResponseReplicationFieldEvent {
    field: '$.replication'
    value: WriteResponse.Replication
  }

  export interface WriteResponseBackupsFieldEvent {
    field: '$.backups[]'
    index: number
    value: string
  }

  export interface WriteResponseErrorFieldEvent {
    field: '$.error'
    value: string
  }

  export interface WriteResponseMayHaveCommittedFieldEvent {
    field: '$.mayHaveCommitted'
    value: boolean
  }

  export function encode (obj: Partial<WriteResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, WriteResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WriteResponse>): WriteResponse {
    return decodeMessage(buf, WriteResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WriteResponse>): Generator<WriteResponseStatusFieldEvent | WriteResponseHeightFieldEvent | WriteResponseHashFieldEvent | WriteResponseLeaderFieldEvent | WriteResponseMessageFieldEvent | WriteResponseReplicationFieldEvent | WriteResponseBackupsFieldEvent | WriteResponseErrorFieldEvent | WriteResponseMayHaveCommittedFieldEvent> {
    return streamMessage(buf, WriteResponse.codec(), opts)
  }
}
