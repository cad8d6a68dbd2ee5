import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface ReadRequest {
  kind: ReadRequest.Kind
  chainId: string
  key: string
  height: number
  to: number
  leader: boolean
  prefix: string
  after: string
  limit: number
  keysOnly: boolean
}

export namespace ReadRequest {
  export enum Kind {
    KEY = 'KEY',
    BLOCK = 'BLOCK',
    RANGE = 'RANGE',
    TIP = 'TIP',
    KEYS = 'KEYS'
  }

  enum __KindValues {
    KEY = 0,
    BLOCK = 1,
    RANGE = 2,
    TIP = 3,
    KEYS = 4
  }

  export namespace Kind {
    export const codec = (): Codec<Kind> => {
      return enumeration<Kind>(__KindValues)
    }
  }

  let _codec: Codec<ReadRequest>

  export const codec = (): Codec<ReadRequest> => {
    if (_codec == null) {
      _codec = message<ReadRequest>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(8)
          ReadRequest.Kind.codec().encode(obj.kind, w)
        }

        if ((obj.chainId != null && obj.chainId !== '')) {
          w.uint32(18)
          w.string(obj.chainId)
        }

        if ((obj.key != null && obj.key !== '')) {
          w.uint32(26)
          w.string(obj.key)
        }

        if ((obj.height != null && obj.height !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.height)
        }

        if ((obj.to != null && obj.to !== 0)) {
          w.uint32(40)
          w.uint64Number(obj.to)
        }

        if ((obj.leader != null && obj.leader !== false)) {
          w.uint32(48)
          w.bool(obj.leader)
        }

        if ((obj.prefix != null && obj.prefix !== '')) {
          w.uint32(58)
          w.string(obj.prefix)
        }

        if ((obj.after != null && obj.after !== '')) {
          w.uint32(66)
          w.string(obj.after)
        }

        if ((obj.limit != null && obj.limit !== 0)) {
          w.uint32(72)
          w.uint32(obj.limit)
        }

        if ((obj.keysOnly != null && obj.keysOnly !== false)) {
          w.uint32(80)
          w.bool(obj.keysOnly)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: Kind.KEY,
          chainId: '',
          key: '',
          height: 0,
          to: 0,
          leader: false,
          prefix: '',
          after: '',
          limit: 0,
          keysOnly: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = ReadRequest.Kind.codec().decode(reader)
              break
            }
            case 2: {
              obj.chainId = reader.string()
              break
            }
            case 3: {
              obj.key = reader.string()
              break
            }
            case 4: {
              obj.height = reader.uint64Number()
              break
            }
            case 5: {
              obj.to = reader.uint64Number()
              break
            }
            case 6: {
              obj.leader = reader.bool()
              break
            }
            case 7: {
              obj.prefix = reader.string()
              break
            }
            case 8: {
              obj.after = reader.string()
              break
            }
            case 9: {
              obj.limit = reader.uint32()
              break
            }
            case 10: {
              obj.keysOnly = reader.bool()
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
                field: `${prefix}.kind`,
                value: ReadRequest.Kind.codec().decode(reader)
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
                field: `${prefix}.key`,
                value: reader.string()
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
                field: `${prefix}.to`,
                value: reader.uint64Number()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.leader`,
                value: reader.bool()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.prefix`,
                value: reader.string()
              }
              break
            }
            case 8: {
              yield {
                field: `${prefix}.after`,
                value: reader.string()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.limit`,
                value: reader.uint32()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.keysOnly`,
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

  export interface ReadRequestKindFieldEvent {
    field: '$.kind'
    value: ReadRequest.Kind
  }

  export interface ReadRequestChainIdFieldEvent {
    field: '$.chainId'
    value: string
  }

  export interface ReadRequestKeyFieldEvent {
    field: '$.key'
    value: string
  }

  export interface ReadRequestHeightFieldEvent {
    field: '$.height'
    value: number
  }

  export interface ReadRequestToFieldEvent {
    field: '$.to'
    value: number
  }

  export interface ReadRequestLeaderFieldEvent {
    field: '$.leader'
    value: boolean
  }

  export interface ReadRequestPrefixFieldEvent {
    field: '$.prefix'
    value: string
  }

  export interface ReadRequestAfterFieldEvent {
    field: '$.after'
    value: string
  }

  export interface ReadRequestLimitFieldEvent {
    field: '$.limit'
    value: number
  }

  export interface ReadRequestKeysOnlyFieldEvent {
    field: '$.keysOnly'
    value: boolean
  }

  export function encode (obj: Partial<ReadRequest>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ReadRequest.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReadRequest>): ReadRequest {
    return decodeMessage(buf, ReadRequest.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReadRequest>): Generator<ReadRequestKindFieldEvent | ReadRequestChainIdFieldEvent | ReadRequestKeyFieldEvent | ReadRequestHeightFieldEvent | ReadRequestToFieldEvent | ReadRequestLeaderFieldEvent | ReadRequestPrefixFieldEvent | ReadRequestAfterFieldEvent | ReadRequestLimitFieldEvent | ReadRequestKeysOnlyFieldEvent> {
    return streamMessage(buf, ReadRequest.codec(), opts)
  }
}

export interface KeyEntry {
  key: string
  value: Uint8Array<ArrayBuffer>
  height: number
  pruned: boolean
}

export namespace KeyEntry {
  let _codec: Codec<KeyEntry>

  export const codec = (): Codec<KeyEntry> => {
    if (_codec == null) {
      _codec = message<KeyEntry>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.key != null && obj.key !== '')) {
          w.uint32(10)
          w.string(obj.key)
        }

        if ((obj.value != null && obj.value.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.value)
        }

        if ((obj.height != null && obj.height !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.height)
        }

        if ((obj.pruned != null && obj.pruned !== false)) {
          w.uint32(32)
          w.bool(obj.pruned)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          key: '',
          value: uint8ArrayAlloc(0),
          height: 0,
          pruned: false
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
              obj.value = reader.bytes()
              break
            }
            case 3: {
              obj.height = reader.uint64Number()
              break
            }
            case 4: {
              obj.pruned = reader.bool()
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
                field: `${prefix}.value`,
                value: reader.bytes()
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
                field: `${prefix}.pruned`,
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

  export interface KeyEntryKeyFieldEvent {
    field: '$.key'
    value: string
  }

  export interface KeyEntryValueFieldEvent {
    field: '$.value'
    value: Uint8Array<ArrayBuffer>
  }

  export interface KeyEntryHeightFieldEvent {
    field: '$.height'
    value: number
  }

  export interface KeyEntryPrunedFieldEvent {
    field: '$.pruned'
    value: boolean
  }

  export function encode (obj: Partial<KeyEntry>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, KeyEntry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<KeyEntry>): KeyEntry {
    return decodeMessage(buf, KeyEntry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<KeyEntry>): Generator<KeyEntryKeyFieldEvent | KeyEntryValueFieldEvent | KeyEntryHeightFieldEvent | KeyEntryPrunedFieldEvent> {
    return streamMessage(buf, KeyEntry.codec(), opts)
  }
}

export interface ReadResponse {
  status: ReadResponse.Status
  role: ReadResponse.Role
  height: number
  epoch: number
  value: Uint8Array<ArrayBuffer>
  valueHeight: number
  blocks: Uint8Array<ArrayBuffer>[]
  table: Uint8Array<ArrayBuffer>
  tipHash: Uint8Array<ArrayBuffer>
  message: string
  leader: string
  entries: KeyEntry[]
  more: boolean
}

export namespace ReadResponse {
  export enum Status {
    OK = 'OK',
    NOT_FOUND = 'NOT_FOUND',
    REDIRECT = 'REDIRECT',
    UNAVAILABLE = 'UNAVAILABLE',
    INVALID = 'INVALID',
    ERROR = 'ERROR',
    FORBIDDEN = 'FORBIDDEN',
    NOT_LEADER = 'NOT_LEADER'
  }

  enum __StatusValues {
    OK = 0,
    NOT_FOUND = 1,
    REDIRECT = 2,
    UNAVAILABLE = 3,
    INVALID = 4,
    ERROR = 5,
    FORBIDDEN = 6,
    NOT_LEADER = 7
  }

  export namespace Status {
    export const codec = (): Codec<Status> => {
      return enumeration<Status>(__StatusValues)
    }
  }

  export enum Role {
    PROPOSER = 'PROPOSER',
    ACTIVE = 'ACTIVE',
    STALE = 'STALE',
    HOLDER = 'HOLDER'
  }

  enum __RoleValues {
    PROPOSER = 0,
    ACTIVE = 1,
    STALE = 2,
    HOLDER = 3
  }

  export namespace Role {
    export const codec = (): Codec<Role> => {
      return enumeration<Role>(__RoleValues)
    }
  }

  let _codec: Codec<ReadResponse>

  export const codec = (): Codec<ReadResponse> => {
    if (_codec == null) {
      _codec = message<ReadResponse>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.status != null && __StatusValues[obj.status] !== 0) {
          w.uint32(8)
          ReadResponse.Status.codec().encode(obj.status, w)
        }

        if (obj.role != null && __RoleValues[obj.role] !== 0) {
          w.uint32(16)
          ReadResponse.Role.codec().encode(obj.role, w)
        }

        if ((obj.height != null && obj.height !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.height)
        }

        if ((obj.epoch != null && obj.epoch !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.epoch)
        }

        if ((obj.value != null && obj.value.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.value)
        }

        if ((obj.valueHeight != null && obj.valueHeight !== 0)) {
          w.uint32(48)
          w.uint64Number(obj.valueHeight)
        }

        if (obj.blocks != null && obj.blocks.length > 0) {
          for (const value of obj.blocks) {
            w.uint32(58)
            w.bytes(value)
          }
        }

        if ((obj.table != null && obj.table.byteLength > 0)) {
          w.uint32(66)
          w.bytes(obj.table)
        }

        if ((obj.tipHash != null && obj.tipHash.byteLength > 0)) {
          w.uint32(74)
          w.bytes(obj.tipHash)
        }

        if ((obj.message != null && obj.message !== '')) {
          w.uint32(82)
          w.string(obj.message)
        }

        if ((obj.leader != null && obj.leader !== '')) {
          w.uint32(90)
          w.string(obj.leader)
        }

        if (obj.entries != null && obj.entries.length > 0) {
          for (const value of obj.entries) {
            w.uint32(98)
            KeyEntry.codec().encode(value, w)
          }
        }

        if ((obj.more != null && obj.more !== false)) {
          w.uint32(104)
          w.bool(obj.more)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          status: Status.OK,
          role: Role.PROPOSER,
          height: 0,
          epoch: 0,
          value: uint8ArrayAlloc(0),
          valueHeight: 0,
          blocks: [],
          table: uint8ArrayAlloc(0),
          tipHash: uint8ArrayAlloc(0),
          message: '',
          leader: '',
          entries: [],
          more: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.status = ReadResponse.Status.codec().decode(reader)
              break
            }
            case 2: {
              obj.role = ReadResponse.Role.codec().decode(reader)
              break
            }
            case 3: {
              obj.height = reader.uint64Number()
              break
            }
            case 4: {
              obj.epoch = reader.uint64Number()
              break
            }
            case 5: {
              obj.value = reader.bytes()
              break
            }
            case 6: {
              obj.valueHeight = reader.uint64Number()
              break
            }
            case 7: {
              if (opts.limits?.blocks != null && obj.blocks.length === opts.limits.blocks) {
                throw new MaxLengthError('Decode error - repeated field "blocks" had too many elements')
              }

              obj.blocks.push(reader.bytes())
              break
            }
            case 8: {
              obj.table = reader.bytes()
              break
            }
            case 9: {
              obj.tipHash = reader.bytes()
              break
            }
            case 10: {
              obj.message = reader.string()
              break
            }
            case 11: {
              obj.leader = reader.string()
              break
            }
            case 12: {
              if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements')
              }

              obj.entries.push(KeyEntry.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.entries$
              }))
              break
            }
            case 13: {
              obj.more = reader.bool()
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
          entries: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.status`,
                value: ReadResponse.Status.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.role`,
                value: ReadResponse.Role.codec().decode(reader)
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
                field: `${prefix}.epoch`,
                value: reader.uint64Number()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.value`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.valueHeight`,
                value: reader.uint64Number()
              }
              break
            }
            case 7: {
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
            case 8: {
              yield {
                field: `${prefix}.table`,
                value: reader.bytes()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.tipHash`,
                value: reader.bytes()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.message`,
                value: reader.string()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.leader`,
                value: reader.string()
              }
              break
            }
            case 12: {
              if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements')
              }

              for (const evt of KeyEntry.codec().stream(reader, reader.uint32(), `${prefix}.entries[]`, {
                limits: opts.limits?.entries$
              })) {
                yield {
                  ...evt,
                  index: obj.entries
                }
              }

              obj.entries++

              break
            }
            case 13: {
              yield {
                field: `${prefix}.more`,
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

  export interface ReadResponseStatusFieldEvent {
    field: '$.status'
    value: ReadResponse.Status
  }

  export interface ReadResponseRoleFieldEvent {
    field: '$.role'
    value: ReadResponse.Role
  }

  export interface ReadResponseHeightFieldEvent {
    field: '$.height'
    value: number
  }

  export interface ReadResponseEpochFieldEvent {
    field: '$.epoch'
    value: number
  }

  export interface ReadResponseValueFieldEvent {
    field: '$.value'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReadResponseValueHeightFieldEvent {
    field: '$.valueHeight'
    value: number
  }

  export interface ReadResponseBlocksFieldEvent {
    field: '$.blocks[]'
    index: number
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReadResponseTableFieldEvent {
    field: '$.table'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReadResponseTipHashFieldEvent {
    field: '$.tipHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReadResponseMessageFieldEvent {
    field: '$.message'
    value: string
  }

  export interface ReadResponseLeaderFieldEvent {
    field: '$.leader'
    value: string
  }

  export interface ReadResponseEntriesKeyFieldEvent {
    field: '$.entries[].key'
    value: string
    index: number
  }

  export interface ReadResponseEntriesValueFieldEvent {
    field: '$.entries[].value'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface ReadResponseEntriesHeightFieldEvent {
    field: '$.entries[].height'
    value: number
    index: number
  }

  export interface ReadResponseEntriesPrunedFieldEvent {
    field: '$.entries[].pruned'
    value: boolean
    index: number
  }

  export interface ReadResponseMoreFieldEvent {
    field: '$.more'
    value: boolean
  }

  export function encode (obj: Partial<ReadResponse>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ReadResponse.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReadResponse>): ReadResponse {
    return decodeMessage(buf, ReadResponse.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ReadResponse>): Generator<ReadResponseStatusFieldEvent | ReadResponseRoleFieldEvent | ReadResponseHeightFieldEvent | ReadResponseEpochFieldEvent | ReadResponseValueFieldEvent | ReadResponseValueHeightFieldEvent | ReadResponseBlocksFieldEvent | ReadResponseTableFieldEvent | ReadResponseTipHashFieldEvent | ReadResponseMessageFieldEvent | ReadResponseLeaderFieldEvent | ReadResponseEntriesKeyFieldEvent | ReadResponseEntriesValueFieldEvent | ReadResponseEntriesHeightFieldEvent | ReadResponseEntriesPrunedFieldEvent | ReadResponseMoreFieldEvent> {
    return streamMessage(buf, ReadResponse.codec(), opts)
  }
}
