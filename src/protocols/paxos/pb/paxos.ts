import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface Ballot {
  round: number
  proposer: string
}

export namespace Ballot {
  let _codec: Codec<Ballot>

  export const codec = (): Codec<Ballot> => {
    if (_codec == null) {
      _codec = message<Ballot>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.round != null && obj.round !== 0)) {
          w.uint32(8)
          w.uint64Number(obj.round)
        }

        if ((obj.proposer != null && obj.proposer !== '')) {
          w.uint32(18)
          w.string(obj.proposer)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          round: 0,
          proposer: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.round = reader.uint64Number()
              break
            }
            case 2: {
              obj.proposer = reader.string()
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
                field: `${prefix}.round`,
                value: reader.uint64Number()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.proposer`,
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

  export interface BallotRoundFieldEvent {
    field: '$.round'
    value: number
  }

  export interface BallotProposerFieldEvent {
    field: '$.proposer'
    value: string
  }

  export function encode (obj: Partial<Ballot>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Ballot.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ballot>): Ballot {
    return decodeMessage(buf, Ballot.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Ballot>): Generator<BallotRoundFieldEvent | BallotProposerFieldEvent> {
    return streamMessage(buf, Ballot.codec(), opts)
  }
}

export interface Value {
  kind: Value.Kind
  id: string
  data: Uint8Array<ArrayBuffer>
  members: string[]
}

export namespace Value {
  export enum Kind {
    DATA = 'DATA',
    NOOP = 'NOOP',
    BOOTH = 'BOOTH'
  }

  enum __KindValues {
    DATA = 0,
    NOOP = 1,
    BOOTH = 2
  }

  export namespace Kind {
    export const codec = (): Codec<Kind> => {
      return enumeration<Kind>(__KindValues)
    }
  }

  let _codec: Codec<Value>

  export const codec = (): Codec<Value> => {
    if (_codec == null) {
      _codec = message<Value>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(8)
          Value.Kind.codec().encode(obj.kind, w)
        }

        if ((obj.id != null && obj.id !== '')) {
          w.uint32(18)
          w.string(obj.id)
        }

        if ((obj.data != null && obj.data.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.data)
        }

        if (obj.members != null && obj.members.length > 0) {
          for (const value of obj.members) {
            w.uint32(34)
            w.string(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          kind: Kind.DATA,
          id: '',
          data: uint8ArrayAlloc(0),
          members: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.kind = Value.Kind.codec().decode(reader)
              break
            }
            case 2: {
              obj.id = reader.string()
              break
            }
            case 3: {
              obj.data = reader.bytes()
              break
            }
            case 4: {
              if (opts.limits?.members != null && obj.members.length === opts.limits.members) {
                throw new MaxLengthError('Decode error - repeated field "members" had too many elements')
              }

              obj.members.push(reader.string())
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
          members: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.kind`,
                value: Value.Kind.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.id`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.data`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              if (opts.limits?.members != null && obj.members === opts.limits.members) {
                throw new MaxLengthError('Streaming decode error - repeated field "members" had too many elements')
              }

              yield {
                field: `${prefix}.members[]`,
                index: obj.members,
                value: reader.string()
              }

              obj.members++

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

  export interface ValueKindFieldEvent {
    field: '$.kind'
    value: Value.Kind
  }

  export interface ValueIdFieldEvent {
    field: '$.id'
    value: string
  }

  export interface ValueDataFieldEvent {
    field: '$.data'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ValueMembersFieldEvent {
    field: '$.members[]'
    index: number
    value: string
  }

  export function encode (obj: Partial<Value>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Value.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Value>): Value {
    return decodeMessage(buf, Value.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Value>): Generator<ValueKindFieldEvent | ValueIdFieldEvent | ValueDataFieldEvent | ValueMembersFieldEvent> {
    return streamMessage(buf, Value.codec(), opts)
  }
}

export interface ValueProof {
  round: number
  signature: Uint8Array<ArrayBuffer>
}

export namespace ValueProof {
  let _codec: Codec<ValueProof>

  export const codec = (): Codec<ValueProof> => {
    if (_codec == null) {
      _codec = message<ValueProof>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.round != null && obj.round !== 0)) {
          w.uint32(8)
          w.uint64Number(obj.round)
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
          round: 0,
          signature: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.round = reader.uint64Number()
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
                field: `${prefix}.round`,
                value: reader.uint64Number()
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

  export interface ValueProofRoundFieldEvent {
    field: '$.round'
    value: number
  }

  export interface ValueProofSignatureFieldEvent {
    field: '$.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<ValueProof>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, ValueProof.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ValueProof>): ValueProof {
    return decodeMessage(buf, ValueProof.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<ValueProof>): Generator<ValueProofRoundFieldEvent | ValueProofSignatureFieldEvent> {
    return streamMessage(buf, ValueProof.codec(), opts)
  }
}

export interface Entry {
  slot: number
  ballot?: Ballot
  value?: Value
  booth: string[]
  decided: boolean
  proof?: ValueProof
}

export namespace Entry {
  let _codec: Codec<Entry>

  export const codec = (): Codec<Entry> => {
    if (_codec == null) {
      _codec = message<Entry>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.slot != null && obj.slot !== 0)) {
          w.uint32(8)
          w.uint64Number(obj.slot)
        }

        if (obj.ballot != null) {
          w.uint32(18)
          Ballot.codec().encode(obj.ballot, w)
        }

        if (obj.value != null) {
          w.uint32(26)
          Value.codec().encode(obj.value, w)
        }

        if (obj.booth != null && obj.booth.length > 0) {
          for (const value of obj.booth) {
            w.uint32(34)
            w.string(value)
          }
        }

        if ((obj.decided != null && obj.decided !== false)) {
          w.uint32(40)
          w.bool(obj.decided)
        }

        if (obj.proof != null) {
          w.uint32(50)
          ValueProof.codec().encode(obj.proof, w)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          slot: 0,
          booth: [],
          decided: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.slot = reader.uint64Number()
              break
            }
            case 2: {
              obj.ballot = Ballot.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.ballot
              })
              break
            }
            case 3: {
              obj.value = Value.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.value
              })
              break
            }
            case 4: {
              if (opts.limits?.booth != null && obj.booth.length === opts.limits.booth) {
                throw new MaxLengthError('Decode error - repeated field "booth" had too many elements')
              }

              obj.booth.push(reader.string())
              break
            }
            case 5: {
              obj.decided = reader.bool()
              break
            }
            case 6: {
              obj.proof = ValueProof.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.proof
              })
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
          booth: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.slot`,
                value: reader.uint64Number()
              }
              break
            }
            case 2: {
              yield * Ballot.codec().stream(reader, reader.uint32(), `${prefix}.ballot`, {
                limits: opts.limits?.ballot
              })

              break
            }
            case 3: {
              yield * Value.codec().stream(reader, reader.uint32(), `${prefix}.value`, {
                limits: opts.limits?.value
              })

              break
            }
            case 4: {
              if (opts.limits?.booth != null && obj.booth === opts.limits.booth) {
                throw new MaxLengthError('Streaming decode error - repeated field "booth" had too many elements')
              }

              yield {
                field: `${prefix}.booth[]`,
                index: obj.booth,
                value: reader.string()
              }

              obj.booth++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.decided`,
                value: reader.bool()
              }
              break
            }
            case 6: {
              yield * ValueProof.codec().stream(reader, reader.uint32(), `${prefix}.proof`, {
                limits: opts.limits?.proof
              })

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

  export interface EntrySlotFieldEvent {
    field: '$.slot'
    value: number
  }

  export interface EntryBallotRoundFieldEvent {
    field: '$.ballot.round'
    value: number
  }

  export interface EntryBallotProposerFieldEvent {
    field: '$.ballot.proposer'
    value: string
  }

  export interface EntryValueKindFieldEvent {
    field: '$.value.kind'
    value: Value.Kind
  }

  export interface EntryValueIdFieldEvent {
    field: '$.value.id'
    value: string
  }

  export interface EntryValueDataFieldEvent {
    field: '$.value.data'
    value: Uint8Array<ArrayBuffer>
  }

  export interface EntryValueMembersFieldEvent {
    field: '$.value.members[]'
    index: number
    value: string
  }

  export interface EntryBoothFieldEvent {
    field: '$.booth[]'
    index: number
    value: string
  }

  export interface EntryDecidedFieldEvent {
    field: '$.decided'
    value: boolean
  }

  export interface EntryProofRoundFieldEvent {
    field: '$.proof.round'
    value: number
  }

  export interface EntryProofSignatureFieldEvent {
    field: '$.proof.signature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Entry>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Entry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Entry>): Entry {
    return decodeMessage(buf, Entry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Entry>): Generator<EntrySlotFieldEvent | EntryBallotRoundFieldEvent | EntryBallotProposerFieldEvent | EntryValueKindFieldEvent | EntryValueIdFieldEvent | EntryValueDataFieldEvent | EntryValueMembersFieldEvent | EntryBoothFieldEvent | EntryDecidedFieldEvent | EntryProofRoundFieldEvent | EntryProofSignatureFieldEvent> {
    return streamMessage(buf, Entry.codec(), opts)
  }
}

export interface BoothEpoch {
  slot: number
  members: string[]
}

export namespace BoothEpoch {
  let _codec: Codec<BoothEpoch>

  export const codec = (): Codec<BoothEpoch> => {
    if (_codec == null) {
      _codec = message<BoothEpoch>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.slot != null && obj.slot !== 0)) {
          w.uint32(8)
          w.uint64Number(obj.slot)
        }

        if (obj.members != null && obj.members.length > 0) {
          for (const value of obj.members) {
            w.uint32(18)
            w.string(value)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          slot: 0,
          members: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.slot = reader.uint64Number()
              break
            }
            case 2: {
              if (opts.limits?.members != null && obj.members.length === opts.limits.members) {
                throw new MaxLengthError('Decode error - repeated field "members" had too many elements')
              }

              obj.members.push(reader.string())
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
          members: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.slot`,
                value: reader.uint64Number()
              }
              break
            }
            case 2: {
              if (opts.limits?.members != null && obj.members === opts.limits.members) {
                throw new MaxLengthError('Streaming decode error - repeated field "members" had too many elements')
              }

              yield {
                field: `${prefix}.members[]`,
                index: obj.members,
                value: reader.string()
              }

              obj.members++

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

  export interface BoothEpochSlotFieldEvent {
    field: '$.slot'
    value: number
  }

  export interface BoothEpochMembersFieldEvent {
    field: '$.members[]'
    index: number
    value: string
  }

  export function encode (obj: Partial<BoothEpoch>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, BoothEpoch.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BoothEpoch>): BoothEpoch {
    return decodeMessage(buf, BoothEpoch.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BoothEpoch>): Generator<BoothEpochSlotFieldEvent | BoothEpochMembersFieldEvent> {
    return streamMessage(buf, BoothEpoch.codec(), opts)
  }
}

export interface PaxosMessage {
  type: PaxosMessage.Type
  chainId: string
  ballot?: Ballot
  slot: number
  commit: number
  value?: Value
  booth: string[]
  promised?: Ballot
  entries: Entry[]
  booths: BoothEpoch[]
  height: number
  hash: Uint8Array<ArrayBuffer>
  read: number
  granted: boolean
  pointSlot: number
  proof: Uint8Array<ArrayBuffer>
  commitProof: Uint8Array<ArrayBuffer>
  provenCommit: number
  heldHeight?: number
  takeover: boolean
}

export namespace PaxosMessage {
  export enum Type {
    PREPARE = 'PREPARE',
    PROMISE = 'PROMISE',
    NACK = 'NACK',
    ACCEPT = 'ACCEPT',
    ACCEPTED = 'ACCEPTED',
    HEARTBEAT = 'HEARTBEAT',
    CATCHUP = 'CATCHUP',
    DECIDED = 'DECIDED',
    SNAPSHOT = 'SNAPSHOT',
    HEARTBEAT_ACK = 'HEARTBEAT_ACK',
    PRE_PREPARE = 'PRE_PREPARE',
    PRE_PROMISE = 'PRE_PROMISE'
  }

  enum __TypeValues {
    PREPARE = 0,
    PROMISE = 1,
    NACK = 2,
    ACCEPT = 3,
    ACCEPTED = 4,
    HEARTBEAT = 5,
    CATCHUP = 6,
    DECIDED = 7,
    SNAPSHOT = 8,
    HEARTBEAT_ACK = 9,
    PRE_PREPARE = 10,
    PRE_PROMISE = 11
  }

  export namespace Type {
    export const codec = (): Codec<Type> => {
      return enumeration<Type>(__TypeValues)
    }
  }

  let _codec: Codec<PaxosMessage>

  export const codec = (): Codec<PaxosMessage> => {
    if (_codec == null) {
      _codec = message<PaxosMessage>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.type != null && __TypeValues[obj.type] !== 0) {
          w.uint32(8)
          PaxosMessage.Type.codec().encode(obj.type, w)
        }

        if ((obj.chainId != null && obj.chainId !== '')) {
          w.uint32(18)
          w.string(obj.chainId)
        }

        if (obj.ballot != null) {
          w.uint32(26)
          Ballot.codec().encode(obj.ballot, w)
        }

        if ((obj.slot != null && obj.slot !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.slot)
        }

        if ((obj.commit != null && obj.commit !== 0)) {
          w.uint32(40)
          w.uint64Number(obj.commit)
        }

        if (obj.value != null) {
          w.uint32(50)
          Value.codec().encode(obj.value, w)
        }

        if (obj.booth != null && obj.booth.length > 0) {
          for (const value of obj.booth) {
            w.uint32(58)
            w.string(value)
          }
        }

        if (obj.promised != null) {
          w.uint32(66)
          Ballot.codec().encode(obj.promised, w)
        }

        if (obj.entries != null && obj.entries.length > 0) {
          for (const value of obj.entries) {
            w.uint32(74)
            Entry.codec().encode(value, w)
          }
        }

        if (obj.booths != null && obj.booths.length > 0) {
          for (const value of obj.booths) {
            w.uint32(82)
            BoothEpoch.codec().encode(value, w)
          }
        }

        if ((obj.height != null && obj.height !== 0)) {
          w.uint32(88)
          w.uint64Number(obj.height)
        }

        if ((obj.hash != null && obj.hash.byteLength > 0)) {
          w.uint32(98)
          w.bytes(obj.hash)
        }

        if ((obj.read != null && obj.read !== 0)) {
          w.uint32(104)
          w.uint64Number(obj.read)
        }

        if ((obj.granted != null && obj.granted !== false)) {
          w.uint32(112)
          w.bool(obj.granted)
        }

        if ((obj.pointSlot != null && obj.pointSlot !== 0)) {
          w.uint32(120)
          w.uint64Number(obj.pointSlot)
        }

        if ((obj.proof != null && obj.proof.byteLength > 0)) {
          w.uint32(130)
          w.bytes(obj.proof)
        }

        if ((obj.commitProof != null && obj.commitProof.byteLength > 0)) {
          w.uint32(138)
          w.bytes(obj.commitProof)
        }

        if ((obj.provenCommit != null && obj.provenCommit !== 0)) {
          w.uint32(144)
          w.uint64Number(obj.provenCommit)
        }

        if (obj.heldHeight != null) {
          w.uint32(152)
          w.uint64Number(obj.heldHeight)
        }

        if ((obj.takeover != null && obj.takeover !== false)) {
          w.uint32(160)
          w.bool(obj.takeover)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          type: Type.PREPARE,
          chainId: '',
          slot: 0,
          commit: 0,
          booth: [],
          entries: [],
          booths: [],
          height: 0,
          hash: uint8ArrayAlloc(0),
          read: 0,
          granted: false,
          pointSlot: 0,
          proof: uint8ArrayAlloc(0),
          commitProof: uint8ArrayAlloc(0),
          provenCommit: 0,
          takeover: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.type = PaxosMessage.Type.codec().decode(reader)
              break
            }
            case 2: {
              obj.chainId = reader.string()
              break
            }
            case 3: {
              obj.ballot = Ballot.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.ballot
              })
              break
            }
            case 4: {
              obj.slot = reader.uint64Number()
              break
            }
            case 5: {
              obj.commit = reader.uint64Number()
              break
            }
            case 6: {
              obj.value = Value.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.value
              })
              break
            }
            case 7: {
              if (opts.limits?.booth != null && obj.booth.length === opts.limits.booth) {
                throw new MaxLengthError('Decode error - repeated field "booth" had too many elements')
              }

              obj.booth.push(reader.string())
              break
            }
            case 8: {
              obj.promised = Ballot.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.promised
              })
              break
            }
            case 9: {
              if (opts.limits?.entries != null && obj.entries.length === opts.limits.entries) {
                throw new MaxLengthError('Decode error - repeated field "entries" had too many elements')
              }

              obj.entries.push(Entry.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.entries$
              }))
              break
            }
            case 10: {
              if (opts.limits?.booths != null && obj.booths.length === opts.limits.booths) {
                throw new MaxLengthError('Decode error - repeated field "booths" had too many elements')
              }

              obj.booths.push(BoothEpoch.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.booths$
              }))
              break
            }
            case 11: {
              obj.height = reader.uint64Number()
              break
            }
            case 12: {
              obj.hash = reader.bytes()
              break
            }
            case 13: {
              obj.read = reader.uint64Number()
              break
            }
            case 14: {
              obj.granted = reader.bool()
              break
            }
            case 15: {
              obj.pointSlot = reader.uint64Number()
              break
            }
            case 16: {
              obj.proof = reader.bytes()
              break
            }
            case 17: {
              obj.commitProof = reader.bytes()
              break
            }
            case 18: {
              obj.provenCommit = reader.uint64Number()
              break
            }
            case 19: {
              obj.heldHeight = reader.uint64Number()
              break
            }
            case 20: {
              obj.takeover = reader.bool()
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
          booth: 0,
          entries: 0,
          booths: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.type`,
                value: PaxosMessage.Type.codec().decode(reader)
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
              yield * Ballot.codec().stream(reader, reader.uint32(), `${prefix}.ballot`, {
                limits: opts.limits?.ballot
              })

              break
            }
            case 4: {
              yield {
                field: `${prefix}.slot`,
                value: reader.uint64Number()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.commit`,
                value: reader.uint64Number()
              }
              break
            }
            case 6: {
              yield * Value.codec().stream(reader, reader.uint32(), `${prefix}.value`, {
                limits: opts.limits?.value
              })

              break
            }
            case 7: {
              if (opts.limits?.booth != null && obj.booth === opts.limits.booth) {
                throw new MaxLengthError('Streaming decode error - repeated field "booth" had too many elements')
              }

              yield {
                field: `${prefix}.booth[]`,
                index: obj.booth,
                value: reader.string()
              }

              obj.booth++

              break
            }
            case 8: {
              yield * Ballot.codec().stream(reader, reader.uint32(), `${prefix}.promised`, {
                limits: opts.limits?.promised
              })

              break
            }
            case 9: {
              if (opts.limits?.entries != null && obj.entries === opts.limits.entries) {
                throw new MaxLengthError('Streaming decode error - repeated field "entries" had too many elements')
              }

              for (const evt of Entry.codec().stream(reader, reader.uint32(), `${prefix}.entries[]`, {
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
            case 10: {
              if (opts.limits?.booths != null && obj.booths === opts.limits.booths) {
                throw new MaxLengthError('Streaming decode error - repeated field "booths" had too many elements')
              }

              for (const evt of BoothEpoch.codec().stream(reader, reader.uint32(), `${prefix}.booths[]`, {
                limits: opts.limits?.booths$
              })) {
                yield {
                  ...evt,
                  index: obj.booths
                }
              }

              obj.booths++

              break
            }
            case 11: {
              yield {
                field: `${prefix}.height`,
                value: reader.uint64Number()
              }
              break
            }
            case 12: {
              yield {
                field: `${prefix}.hash`,
                value: reader.bytes()
              }
              break
            }
            case 13: {
              yield {
                field: `${prefix}.read`,
                value: reader.uint64Number()
              }
              break
            }
            case 14: {
              yield {
                field: `${prefix}.granted`,
                value: reader.bool()
              }
              break
            }
            case 15: {
              yield {
                field: `${prefix}.pointSlot`,
                value: reader.uint64Number()
              }
              break
            }
            case 16: {
              yield {
                field: `${prefix}.proof`,
                value: reader.bytes()
              }
              break
            }
            case 17: {
              yield {
                field: `${prefix}.commitProof`,
                value: reader.bytes()
              }
              break
            }
            case 18: {
              yield {
                field: `${prefix}.provenCommit`,
                value: reader.uint64Number()
              }
              break
            }
            case 19: {
              yield {
                field: `${prefix}.heldHeight`,
                value: reader.uint64Number()
              }
              break
            }
            case 20: {
              yield {
                field: `${prefix}.takeover`,
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

  export interface PaxosMessageTypeFieldEvent {
    field: '$.type'
    value: PaxosMessage.Type
  }

  export interface PaxosMessageChainIdFieldEvent {
    field: '$.chainId'
    value: string
  }

  export interface PaxosMessageBallotRoundFieldEvent {
    field: '$.ballot.round'
    value: number
  }

  export interface PaxosMessageBallotProposerFieldEvent {
    field: '$.ballot.proposer'
    value: string
  }

  export interface PaxosMessageSlotFieldEvent {
    field: '$.slot'
    value: number
  }

  export interface PaxosMessageCommitFieldEvent {
    field: '$.commit'
    value: number
  }

  export interface PaxosMessageValueKindFieldEvent {
    field: '$.value.kind'
    value: Value.Kind
  }

  export interface PaxosMessageValueIdFieldEvent {
    field: '$.value.id'
    value: string
  }

  export interface PaxosMessageValueDataFieldEvent {
    field: '$.value.data'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PaxosMessageValueMembersFieldEvent {
    field: '$.value.members[]'
    index: number
    value: string
  }

  export interface PaxosMessageBoothFieldEvent {
    field: '$.booth[]'
    index: number
    value: string
  }

  export interface PaxosMessagePromisedRoundFieldEvent {
    field: '$.promised.round'
    value: number
  }

  export interface PaxosMessagePromisedProposerFieldEvent {
    field: '$.promised.proposer'
    value: string
  }

  export interface PaxosMessageEntriesSlotFieldEvent {
    field: '$.entries[].slot'
    value: number
    index: number
  }

  export interface PaxosMessageEntriesBallotRoundFieldEvent {
    field: '$.entries[].ballot.round'
    value: number
    index: number
  }

  export interface PaxosMessageEntriesBallotProposerFieldEvent {
    field: '$.entries[].ballot.proposer'
    value: string
    index: number
  }

  export interface PaxosMessageEntriesValueKindFieldEvent {
    field: '$.entries[].value.kind'
    value: Value.Kind
    index: number
  }

  export interface PaxosMessageEntriesValueIdFieldEvent {
    field: '$.entries[].value.id'
    value: string
    index: number
  }

  export interface PaxosMessageEntriesValueDataFieldEvent {
    field: '$.entries[].value.data'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PaxosMessageEntriesValueMembersFieldEvent {
    field: '$.entries[].value.members[]'
    index: number
    value: string
  }

  export interface PaxosMessageEntriesBoothFieldEvent {
    field: '$.entries[].booth[]'
    index: number
    value: string
  }

  export interface PaxosMessageEntriesDecidedFieldEvent {
    field: '$.entries[].decided'
    value: boolean
    index: number
  }

  export interface PaxosMessageEntriesProofRoundFieldEvent {
    field: '$.entries[].proof.round'
    value: number
    index: number
  }

  export interface PaxosMessageEntriesProofSignatureFieldEvent {
    field: '$.entries[].proof.signature'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PaxosMessageBoothsSlotFieldEvent {
    field: '$.booths[].slot'
    value: number
    index: number
  }

  export interface PaxosMessageBoothsMembersFieldEvent {
    field: '$.booths[].members[]'
    index: number
    value: string
  }

  export interface PaxosMessageHeightFieldEvent {
    field: '$.height'
    value: number
  }

  export interface PaxosMessageHashFieldEvent {
    field: '$.hash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PaxosMessageReadFieldEvent {
    field: '$.read'
    value: number
  }

  export interface PaxosMessageGrantedFieldEvent {
    field: '$.granted'
    value: boolean
  }

  export interface PaxosMessagePointSlotFieldEvent {
    field: '$.pointSlot'
    value: number
  }

  export interface PaxosMessageProofFieldEvent {
    field: '$.proof'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PaxosMessageCommitProofFieldEvent {
    field: '$.commitProof'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PaxosMessageProvenCommitFieldEvent {
    field: '$.provenCommit'
    value: number
  }

  export interface PaxosMessageHeldHeightFieldEvent {
    field: '$.heldHeight'
    value: number
  }

  export interface PaxosMessageTakeoverFieldEvent {
    field: '$.takeover'
    value: boolean
  }

  export function encode (obj: Partial<PaxosMessage>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PaxosMessage.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PaxosMessage>): PaxosMessage {
    return decodeMessage(buf, PaxosMessage.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PaxosMessage>): Generator<PaxosMessageTypeFieldEvent | PaxosMessageChainIdFieldEvent | PaxosMessageBallotRoundFieldEvent | PaxosMessageBallotProposerFieldEvent | PaxosMessageSlotFieldEvent | PaxosMessageCommitFieldEvent | PaxosMessageValueKindFieldEvent | PaxosMessageValueIdFieldEvent | PaxosMessageValueDataFieldEvent | PaxosMessageValueMembersFieldEvent | PaxosMessageBoothFieldEvent | PaxosMessagePromisedRoundFieldEvent | PaxosMessagePromisedProposerFieldEvent | PaxosMessageEntriesSlotFieldEvent | PaxosMessageEntriesBallotRoundFieldEvent | PaxosMessageEntriesBallotProposerFieldEvent | PaxosMessageEntriesValueKindFieldEvent | PaxosMessageEntriesValueIdFieldEvent | PaxosMessageEntriesValueDataFieldEvent | PaxosMessageEntriesValueMembersFieldEvent | PaxosMessageEntriesBoothFieldEvent | PaxosMessageEntriesDecidedFieldEvent | PaxosMessageEntriesProofRoundFieldEvent | PaxosMessageEntriesProofSignatureFieldEvent | PaxosMessageBoothsSlotFieldEvent | PaxosMessageBoothsMembersFieldEvent | PaxosMessageHeightFieldEvent | PaxosMessageHashFieldEvent | PaxosMessageReadFieldEvent | PaxosMessageGrantedFieldEvent | PaxosMessagePointSlotFieldEvent | PaxosMessageProofFieldEvent | PaxosMessageCommitProofFieldEvent | PaxosMessageProvenCommitFieldEvent | PaxosMessageHeldHeightFieldEvent | PaxosMessageTakeoverFieldEvent> {
    return streamMessage(buf, PaxosMessage.codec(), opts)
  }
}

export interface Hello {
  priority: number
  sharedGenesis: string
  askBack: boolean
  sharedBooth: string[]
  sharedHeld: boolean
  incarnation: Uint8Array<ArrayBuffer>
  readmitted: Readmitted[]
  heldBack: HeldBack[]
  sharedFounding: Uint8Array<ArrayBuffer>
  formingBest?: Candidate
  instance: Uint8Array<ArrayBuffer>
  clones: string[]
  recorded: Recorded[]
  sharedRefused: boolean
}

export namespace Hello {
  let _codec: Codec<Hello>

  export const codec = (): Codec<Hello> => {
    if (_codec == null) {
      _codec = message<Hello>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.priority != null && obj.priority !== 0)) {
          w.uint32(8)
          w.sint64Number(obj.priority)
        }

        if ((obj.sharedGenesis != null && obj.sharedGenesis !== '')) {
          w.uint32(18)
          w.string(obj.sharedGenesis)
        }

        if ((obj.askBack != null && obj.askBack !== false)) {
          w.uint32(24)
          w.bool(obj.askBack)
        }

        if (obj.sharedBooth != null && obj.sharedBooth.length > 0) {
          for (const value of obj.sharedBooth) {
            w.uint32(34)
            w.string(value)
          }
        }

        if ((obj.sharedHeld != null && obj.sharedHeld !== false)) {
          w.uint32(40)
          w.bool(obj.sharedHeld)
        }

        if ((obj.incarnation != null && obj.incarnation.byteLength > 0)) {
          w.uint32(50)
          w.bytes(obj.incarnation)
        }

        if (obj.readmitted != null && obj.readmitted.length > 0) {
          for (const value of obj.readmitted) {
            w.uint32(58)
            Readmitted.codec().encode(value, w)
          }
        }

        if (obj.heldBack != null && obj.heldBack.length > 0) {
          for (const value of obj.heldBack) {
            w.uint32(66)
            HeldBack.codec().encode(value, w)
          }
        }

        if ((obj.sharedFounding != null && obj.sharedFounding.byteLength > 0)) {
          w.uint32(74)
          w.bytes(obj.sharedFounding)
        }

        if (obj.formingBest != null) {
          w.uint32(82)
          Candidate.codec().encode(obj.formingBest, w)
        }

        if ((obj.instance != null && obj.instance.byteLength > 0)) {
          w.uint32(90)
          w.bytes(obj.instance)
        }

        if (obj.clones != null && obj.clones.length > 0) {
          for (const value of obj.clones) {
            w.uint32(98)
            w.string(value)
          }
        }

        if (obj.recorded != null && obj.recorded.length > 0) {
          for (const value of obj.recorded) {
            w.uint32(106)
            Recorded.codec().encode(value, w)
          }
        }

        if ((obj.sharedRefused != null && obj.sharedRefused !== false)) {
          w.uint32(112)
          w.bool(obj.sharedRefused)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          priority: 0,
          sharedGenesis: '',
          askBack: false,
          sharedBooth: [],
          sharedHeld: false,
          incarnation: uint8ArrayAlloc(0),
          readmitted: [],
          heldBack: [],
          sharedFounding: uint8ArrayAlloc(0),
          instance: uint8ArrayAlloc(0),
          clones: [],
          recorded: [],
          sharedRefused: false
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.priority = reader.sint64Number()
              break
            }
            case 2: {
              obj.sharedGenesis = reader.string()
              break
            }
            case 3: {
              obj.askBack = reader.bool()
              break
            }
            case 4: {
              if (opts.limits?.sharedBooth != null && obj.sharedBooth.length === opts.limits.sharedBooth) {
                throw new MaxLengthError('Decode error - repeated field "sharedBooth" had too many elements')
              }

              obj.sharedBooth.push(reader.string())
              break
            }
            case 5: {
              obj.sharedHeld = reader.bool()
              break
            }
            case 6: {
              obj.incarnation = reader.bytes()
              break
            }
            case 7: {
              if (opts.limits?.readmitted != null && obj.readmitted.length === opts.limits.readmitted) {
                throw new MaxLengthError('Decode error - repeated field "readmitted" had too many elements')
              }

              obj.readmitted.push(Readmitted.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.readmitted$
              }))
              break
            }
            case 8: {
              if (opts.limits?.heldBack != null && obj.heldBack.length === opts.limits.heldBack) {
                throw new MaxLengthError('Decode error - repeated field "heldBack" had too many elements')
              }

              obj.heldBack.push(HeldBack.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.heldBack$
              }))
              break
            }
            case 9: {
              obj.sharedFounding = reader.bytes()
              break
            }
            case 10: {
              obj.formingBest = Candidate.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.formingBest
              })
              break
            }
            case 11: {
              obj.instance = reader.bytes()
              break
            }
            case 12: {
              if (opts.limits?.clones != null && obj.clones.length === opts.limits.clones) {
                throw new MaxLengthError('Decode error - repeated field "clones" had too many elements')
              }

              obj.clones.push(reader.string())
              break
            }
            case 13: {
              if (opts.limits?.recorded != null && obj.recorded.length === opts.limits.recorded) {
                throw new MaxLengthError('Decode error - repeated field "recorded" had too many elements')
              }

              obj.recorded.push(Recorded.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.recorded$
              }))
              break
            }
            case 14: {
              obj.sharedRefused = reader.bool()
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
          sharedBooth: 0,
          readmitted: 0,
          heldBack: 0,
          clones: 0,
          recorded: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.priority`,
                value: reader.sint64Number()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.sharedGenesis`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.askBack`,
                value: reader.bool()
              }
              break
            }
            case 4: {
              if (opts.limits?.sharedBooth != null && obj.sharedBooth === opts.limits.sharedBooth) {
                throw new MaxLengthError('Streaming decode error - repeated field "sharedBooth" had too many elements')
              }

              yield {
                field: `${prefix}.sharedBooth[]`,
                index: obj.sharedBooth,
                value: reader.string()
              }

              obj.sharedBooth++

              break
            }
            case 5: {
              yield {
                field: `${prefix}.sharedHeld`,
                value: reader.bool()
              }
              break
            }
            case 6: {
              yield {
                field: `${prefix}.incarnation`,
                value: reader.bytes()
              }
              break
            }
            case 7: {
              if (opts.limits?.readmitted != null && obj.readmitted === opts.limits.readmitted) {
                throw new MaxLengthError('Streaming decode error - repeated field "readmitted" had too many elements')
              }

              for (const evt of Readmitted.codec().stream(reader, reader.uint32(), `${prefix}.readmitted[]`, {
                limits: opts.limits?.readmitted$
              })) {
                yield {
                  ...evt,
                  index: obj.readmitted
                }
              }

              obj.readmitted++

              break
            }
            case 8: {
              if (opts.limits?.heldBack != null && obj.heldBack === opts.limits.heldBack) {
                throw new MaxLengthError('Streaming decode error - repeated field "heldBack" had too many elements')
              }

              for (const evt of HeldBack.codec().stream(reader, reader.uint32(), `${prefix}.heldBack[]`, {
                limits: opts.limits?.heldBack$
              })) {
                yield {
                  ...evt,
                  index: obj.heldBack
                }
              }

              obj.heldBack++

              break
            }
            case 9: {
              yield {
                field: `${prefix}.sharedFounding`,
                value: reader.bytes()
              }
              break
            }
            case 10: {
              yield * Candidate.codec().stream(reader, reader.uint32(), `${prefix}.formingBest`, {
                limits: opts.limits?.formingBest
              })

              break
            }
            case 11: {
              yield {
                field: `${prefix}.instance`,
                value: reader.bytes()
              }
              break
            }
            case 12: {
              if (opts.limits?.clones != null && obj.clones === opts.limits.clones) {
                throw new MaxLengthError('Streaming decode error - repeated field "clones" had too many elements')
              }

              yield {
                field: `${prefix}.clones[]`,
                index: obj.clones,
                value: reader.string()
              }

              obj.clones++

              break
            }
            case 13: {
              if (opts.limits?.recorded != null && obj.recorded === opts.limits.recorded) {
                throw new MaxLengthError('Streaming decode error - repeated field "recorded" had too many elements')
              }

              for (const evt of Recorded.codec().stream(reader, reader.uint32(), `${prefix}.recorded[]`, {
                limits: opts.limits?.recorded$
              })) {
                yield {
                  ...evt,
                  index: obj.recorded
                }
              }

              obj.recorded++

              break
            }
            case 14: {
              yield {
                field: `${prefix}.sharedRefused`,
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

  export interface HelloPriorityFieldEvent {
    field: '$.priority'
    value: number
  }

  export interface HelloSharedGenesisFieldEvent {
    field: '$.sharedGenesis'
    value: string
  }

  export interface HelloAskBackFieldEvent {
    field: '$.askBack'
    value: boolean
  }

  export interface HelloSharedBoothFieldEvent {
    field: '$.sharedBooth[]'
    index: number
    value: string
  }

  export interface HelloSharedHeldFieldEvent {
    field: '$.sharedHeld'
    value: boolean
  }

  export interface HelloIncarnationFieldEvent {
    field: '$.incarnation'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HelloReadmittedPeerFieldEvent {
    field: '$.readmitted[].peer'
    value: string
    index: number
  }

  export interface HelloReadmittedIncarnationFieldEvent {
    field: '$.readmitted[].incarnation'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface HelloReadmittedSlotFieldEvent {
    field: '$.readmitted[].slot'
    value: number
    index: number
  }

  export interface HelloHeldBackPeerFieldEvent {
    field: '$.heldBack[].peer'
    value: string
    index: number
  }

  export interface HelloHeldBackIncarnationFieldEvent {
    field: '$.heldBack[].incarnation'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface HelloSharedFoundingFieldEvent {
    field: '$.sharedFounding'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HelloFormingBestPeerFieldEvent {
    field: '$.formingBest.peer'
    value: string
  }

  export interface HelloFormingBestPriorityFieldEvent {
    field: '$.formingBest.priority'
    value: number
  }

  export interface HelloInstanceFieldEvent {
    field: '$.instance'
    value: Uint8Array<ArrayBuffer>
  }

  export interface HelloClonesFieldEvent {
    field: '$.clones[]'
    index: number
    value: string
  }

  export interface HelloRecordedPeerFieldEvent {
    field: '$.recorded[].peer'
    value: string
    index: number
  }

  export interface HelloRecordedIncarnationFieldEvent {
    field: '$.recorded[].incarnation'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface HelloSharedRefusedFieldEvent {
    field: '$.sharedRefused'
    value: boolean
  }

  export function encode (obj: Partial<Hello>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Hello.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Hello>): Hello {
    return decodeMessage(buf, Hello.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Hello>): Generator<HelloPriorityFieldEvent | HelloSharedGenesisFieldEvent | HelloAskBackFieldEvent | HelloSharedBoothFieldEvent | HelloSharedHeldFieldEvent | HelloIncarnationFieldEvent | HelloReadmittedPeerFieldEvent | HelloReadmittedIncarnationFieldEvent | HelloReadmittedSlotFieldEvent | HelloHeldBackPeerFieldEvent | HelloHeldBackIncarnationFieldEvent | HelloSharedFoundingFieldEvent | HelloFormingBestPeerFieldEvent | HelloFormingBestPriorityFieldEvent | HelloInstanceFieldEvent | HelloClonesFieldEvent | HelloRecordedPeerFieldEvent | HelloRecordedIncarnationFieldEvent | HelloSharedRefusedFieldEvent> {
    return streamMessage(buf, Hello.codec(), opts)
  }
}

export interface Recorded {
  peer: string
  incarnation: Uint8Array<ArrayBuffer>
}

export namespace Recorded {
  let _codec: Codec<Recorded>

  export const codec = (): Codec<Recorded> => {
    if (_codec == null) {
      _codec = message<Recorded>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peer != null && obj.peer !== '')) {
          w.uint32(10)
          w.string(obj.peer)
        }

        if ((obj.incarnation != null && obj.incarnation.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.incarnation)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peer: '',
          incarnation: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peer = reader.string()
              break
            }
            case 2: {
              obj.incarnation = reader.bytes()
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
                field: `${prefix}.peer`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.incarnation`,
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

  export interface RecordedPeerFieldEvent {
    field: '$.peer'
    value: string
  }

  export interface RecordedIncarnationFieldEvent {
    field: '$.incarnation'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Recorded>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Recorded.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Recorded>): Recorded {
    return decodeMessage(buf, Recorded.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Recorded>): Generator<RecordedPeerFieldEvent | RecordedIncarnationFieldEvent> {
    return streamMessage(buf, Recorded.codec(), opts)
  }
}

export interface Candidate {
  peer: string
  priority: number
}

export namespace Candidate {
  let _codec: Codec<Candidate>

  export const codec = (): Codec<Candidate> => {
    if (_codec == null) {
      _codec = message<Candidate>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peer != null && obj.peer !== '')) {
          w.uint32(10)
          w.string(obj.peer)
        }

        if ((obj.priority != null && obj.priority !== 0)) {
          w.uint32(16)
          w.sint64Number(obj.priority)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peer: '',
          priority: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peer = reader.string()
              break
            }
            case 2: {
              obj.priority = reader.sint64Number()
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
                field: `${prefix}.peer`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.priority`,
                value: reader.sint64Number()
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

  export interface CandidatePeerFieldEvent {
    field: '$.peer'
    value: string
  }

  export interface CandidatePriorityFieldEvent {
    field: '$.priority'
    value: number
  }

  export function encode (obj: Partial<Candidate>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Candidate.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Candidate>): Candidate {
    return decodeMessage(buf, Candidate.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Candidate>): Generator<CandidatePeerFieldEvent | CandidatePriorityFieldEvent> {
    return streamMessage(buf, Candidate.codec(), opts)
  }
}

export interface HeldBack {
  peer: string
  incarnation: Uint8Array<ArrayBuffer>
}

export namespace HeldBack {
  let _codec: Codec<HeldBack>

  export const codec = (): Codec<HeldBack> => {
    if (_codec == null) {
      _codec = message<HeldBack>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peer != null && obj.peer !== '')) {
          w.uint32(10)
          w.string(obj.peer)
        }

        if ((obj.incarnation != null && obj.incarnation.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.incarnation)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peer: '',
          incarnation: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peer = reader.string()
              break
            }
            case 2: {
              obj.incarnation = reader.bytes()
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
                field: `${prefix}.peer`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.incarnation`,
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

  export interface HeldBackPeerFieldEvent {
    field: '$.peer'
    value: string
  }

  export interface HeldBackIncarnationFieldEvent {
    field: '$.incarnation'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<HeldBack>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, HeldBack.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HeldBack>): HeldBack {
    return decodeMessage(buf, HeldBack.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<HeldBack>): Generator<HeldBackPeerFieldEvent | HeldBackIncarnationFieldEvent> {
    return streamMessage(buf, HeldBack.codec(), opts)
  }
}

export interface Readmitted {
  peer: string
  incarnation: Uint8Array<ArrayBuffer>
  slot: number
}

export namespace Readmitted {
  let _codec: Codec<Readmitted>

  export const codec = (): Codec<Readmitted> => {
    if (_codec == null) {
      _codec = message<Readmitted>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.peer != null && obj.peer !== '')) {
          w.uint32(10)
          w.string(obj.peer)
        }

        if ((obj.incarnation != null && obj.incarnation.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.incarnation)
        }

        if ((obj.slot != null && obj.slot !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.slot)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          peer: '',
          incarnation: uint8ArrayAlloc(0),
          slot: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.peer = reader.string()
              break
            }
            case 2: {
              obj.incarnation = reader.bytes()
              break
            }
            case 3: {
              obj.slot = reader.uint64Number()
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
                field: `${prefix}.peer`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.incarnation`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.slot`,
                value: reader.uint64Number()
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

  export interface ReadmittedPeerFieldEvent {
    field: '$.peer'
    value: string
  }

  export interface ReadmittedIncarnationFieldEvent {
    field: '$.incarnation'
    value: Uint8Array<ArrayBuffer>
  }

  export interface ReadmittedSlotFieldEvent {
    field: '$.slot'
    value: number
  }

  export function encode (obj: Partial<Readmitted>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Readmitted.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Readmitted>): Readmitted {
    return decodeMessage(buf, Readmitted.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Readmitted>): Generator<ReadmittedPeerFieldEvent | ReadmittedIncarnationFieldEvent | ReadmittedSlotFieldEvent> {
    return streamMessage(buf, Readmitted.codec(), opts)
  }
}

export interface PaxosFrame {
  hello?: Hello
  messages: PaxosMessage[]
}

export namespace PaxosFrame {
  let _codec: Codec<PaxosFrame>

  export const codec = (): Codec<PaxosFrame> => {
    if (_codec == null) {
      _codec = message<PaxosFrame>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.hello != null) {
          w.uint32(10)
          Hello.codec().encode(obj.hello, w)
        }

        if (obj.messages != null && obj.messages.length > 0) {
          for (const value of obj.messages) {
            w.uint32(18)
            PaxosMessage.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          messages: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.hello = Hello.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.hello
              })
              break
            }
            case 2: {
              if (opts.limits?.messages != null && obj.messages.length === opts.limits.messages) {
                throw new MaxLengthError('Decode error - repeated field "messages" had too many elements')
              }

              obj.messages.push(PaxosMessage.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.messages$
              }))
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
          messages: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * Hello.codec().stream(reader, reader.uint32(), `${prefix}.hello`, {
                limits: opts.limits?.hello
              })

              break
            }
            case 2: {
              if (opts.limits?.messages != null && obj.messages === opts.limits.messages) {
                throw new MaxLengthError('Streaming decode error - repeated field "messages" had too many elements')
              }

              for (const evt of PaxosMessage.codec().stream(reader, reader.uint32(), `${prefix}.messages[]`, {
                limits: opts.limits?.messages$
              })) {
                yield {
                  ...evt,
                  index: obj.messages
                }
              }

              obj.messages++

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

  export interface PaxosFrameHelloPriorityFieldEvent {
    field: '$.hello.priority'
    value: number
  }

  export interface PaxosFrameHelloSharedGenesisFieldEvent {
    field: '$.hello.sharedGenesis'
    value: string
  }

  export interface PaxosFrameHelloAskBackFieldEvent {
    field: '$.hello.askBack'
    value: boolean
  }

  export interface PaxosFrameHelloSharedBoothFieldEvent {
    field: '$.hello.sharedBooth[]'
    index: number
    value: string
  }

  export interface PaxosFrameHelloSharedHeldFieldEvent {
    field: '$.hello.sharedHeld'
    value: boolean
  }

  export interface PaxosFrameHelloIncarnationFieldEvent {
    field: '$.hello.incarnation'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PaxosFrameHelloReadmittedPeerFieldEvent {
    field: '$.hello.readmitted[].peer'
    value: string
    index: number
  }

  export interface PaxosFrameHelloReadmittedIncarnationFieldEvent {
    field: '$.hello.readmitted[].incarnation'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PaxosFrameHelloReadmittedSlotFieldEvent {
    field: '$.hello.readmitted[].slot'
    value: number
    index: number
  }

  export interface PaxosFrameHelloHeldBackPeerFieldEvent {
    field: '$.hello.heldBack[].peer'
    value: string
    index: number
  }

  export interface PaxosFrameHelloHeldBackIncarnationFieldEvent {
    field: '$.hello.heldBack[].incarnation'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PaxosFrameHelloSharedFoundingFieldEvent {
    field: '$.hello.sharedFounding'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PaxosFrameHelloFormingBestPeerFieldEvent {
    field: '$.hello.formingBest.peer'
    value: string
  }

  export interface PaxosFrameHelloFormingBestPriorityFieldEvent {
    field: '$.hello.formingBest.priority'
    value: number
  }

  export interface PaxosFrameHelloInstanceFieldEvent {
    field: '$.hello.instance'
    value: Uint8Array<ArrayBuffer>
  }

  export interface PaxosFrameHelloClonesFieldEvent {
    field: '$.hello.clones[]'
    index: number
    value: string
  }

  export interface PaxosFrameHelloRecordedPeerFieldEvent {
    field: '$.hello.recorded[].peer'
    value: string
    index: number
  }

  export interface PaxosFrameHelloRecordedIncarnationFieldEvent {
    field: '$.hello.recorded[].incarnation'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PaxosFrameHelloSharedRefusedFieldEvent {
    field: '$.hello.sharedRefused'
    value: boolean
  }

  export interface PaxosFrameMessagesTypeFieldEvent {
    field: '$.messages[].type'
    value: PaxosMessage.Type
    index: number
  }

  export interface PaxosFrameMessagesChainIdFieldEvent {
    field: '$.messages[].chainId'
    value: string
    index: number
  }

  export interface PaxosFrameMessagesBallotRoundFieldEvent {
    field: '$.messages[].ballot.round'
    value: number
    index: number
  }

  export interface PaxosFrameMessagesBallotProposerFieldEvent {
    field: '$.messages[].ballot.proposer'
    value: string
    index: number
  }

  export interface PaxosFrameMessagesSlotFieldEvent {
    field: '$.messages[].slot'
    value: number
    index: number
  }

  export interface PaxosFrameMessagesCommitFieldEvent {
    field: '$.messages[].commit'
    value: number
    index: number
  }

  export interface PaxosFrameMessagesValueKindFieldEvent {
    field: '$.messages[].value.kind'
    value: Value.Kind
    index: number
  }

  export interface PaxosFrameMessagesValueIdFieldEvent {
    field: '$.messages[].value.id'
    value: string
    index: number
  }

  export interface PaxosFrameMessagesValueDataFieldEvent {
    field: '$.messages[].value.data'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PaxosFrameMessagesValueMembersFieldEvent {
    field: '$.messages[].value.members[]'
    index: number
    value: string
  }

  export interface PaxosFrameMessagesBoothFieldEvent {
    field: '$.messages[].booth[]'
    index: number
    value: string
  }

  export interface PaxosFrameMessagesPromisedRoundFieldEvent {
    field: '$.messages[].promised.round'
    value: number
    index: number
  }

  export interface PaxosFrameMessagesPromisedProposerFieldEvent {
    field: '$.messages[].promised.proposer'
    value: string
    index: number
  }

  export interface PaxosFrameMessagesEntriesSlotFieldEvent {
    field: '$.messages[].entries[].slot'
    value: number
    index: number
  }

  export interface PaxosFrameMessagesEntriesBallotRoundFieldEvent {
    field: '$.messages[].entries[].ballot.round'
    value: number
    index: number
  }

  export interface PaxosFrameMessagesEntriesBallotProposerFieldEvent {
    field: '$.messages[].entries[].ballot.proposer'
    value: string
    index: number
  }

  export interface PaxosFrameMessagesEntriesValueKindFieldEvent {
    field: '$.messages[].entries[].value.kind'
    value: Value.Kind
    index: number
  }

  export interface PaxosFrameMessagesEntriesValueIdFieldEvent {
    field: '$.messages[].entries[].value.id'
    value: string
    index: number
  }

  export interface PaxosFrameMessagesEntriesValueDataFieldEvent {
    field: '$.messages[].entries[].value.data'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PaxosFrameMessagesEntriesValueMembersFieldEvent {
    field: '$.messages[].entries[].value.members[]'
    index: number
    value: string
  }

  export interface PaxosFrameMessagesEntriesBoothFieldEvent {
    field: '$.messages[].entries[].booth[]'
    index: number
    value: string
  }

  export interface PaxosFrameMessagesEntriesDecidedFieldEvent {
    field: '$.messages[].entries[].decided'
    value: boolean
    index: number
  }

  export interface PaxosFrameMessagesEntriesProofRoundFieldEvent {
    field: '$.messages[].entries[].proof.round'
    value: number
    index: number
  }

  export interface PaxosFrameMessagesEntriesProofSignatureFieldEvent {
    field: '$.messages[].entries[].proof.signature'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PaxosFrameMessagesBoothsSlotFieldEvent {
    field: '$.messages[].booths[].slot'
    value: number
    index: number
  }

  export interface PaxosFrameMessagesBoothsMembersFieldEvent {
    field: '$.messages[].booths[].members[]'
    index: number
    value: string
  }

  export interface PaxosFrameMessagesHeightFieldEvent {
    field: '$.messages[].height'
    value: number
    index: number
  }

  export interface PaxosFrameMessagesHashFieldEvent {
    field: '$.messages[].hash'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PaxosFrameMessagesReadFieldEvent {
    field: '$.messages[].read'
    value: number
    index: number
  }

  export interface PaxosFrameMessagesGrantedFieldEvent {
    field: '$.messages[].granted'
    value: boolean
    index: number
  }

  export interface PaxosFrameMessagesPointSlotFieldEvent {
    field: '$.messages[].pointSlot'
    value: number
    index: number
  }

  export interface PaxosFrameMessagesProofFieldEvent {
    field: '$.messages[].proof'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PaxosFrameMessagesCommitProofFieldEvent {
    field: '$.messages[].commitProof'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface PaxosFrameMessagesProvenCommitFieldEvent {
    field: '$.messages[].provenCommit'
    value: number
    index: number
  }

  export interface PaxosFrameMessagesHeldHeightFieldEvent {
    field: '$.messages[].heldHeight'
    value: number
    index: number
  }

  export interface PaxosFrameMessagesTakeoverFieldEvent {
    field: '$.messages[].takeover'
    value: boolean
    index: number
  }

  export function encode (obj: Partial<PaxosFrame>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, PaxosFrame.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PaxosFrame>): PaxosFrame {
    return decodeMessage(buf, PaxosFrame.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<PaxosFrame>): Generator<PaxosFrameHelloPriorityFieldEvent | PaxosFrameHelloSharedGenesisFieldEvent | PaxosFrameHelloAskBackFieldEvent | PaxosFrameHelloSharedBoothFieldEvent | PaxosFrameHelloSharedHeldFieldEvent | PaxosFrameHelloIncarnationFieldEvent | PaxosFrameHelloReadmittedPeerFieldEvent | PaxosFrameHelloReadmittedIncarnationFieldEvent | PaxosFrameHelloReadmittedSlotFieldEvent | PaxosFrameHelloHeldBackPeerFieldEvent | PaxosFrameHelloHeldBackIncarnationFieldEvent | PaxosFrameHelloSharedFoundingFieldEvent | PaxosFrameHelloFormingBestPeerFieldEvent | PaxosFrameHelloFormingBestPriorityFieldEvent | PaxosFrameHelloInstanceFieldEvent | PaxosFrameHelloClonesFieldEvent | PaxosFrameHelloRecordedPeerFieldEvent | PaxosFrameHelloRecordedIncarnationFieldEvent | PaxosFrameHelloSharedRefusedFieldEvent | PaxosFrameMessagesTypeFieldEvent | PaxosFrameMessagesChainIdFieldEvent | PaxosFrameMessagesBallotRoundFieldEvent | PaxosFrameMessagesBallotProposerFieldEvent | PaxosFrameMessagesSlotFieldEvent | PaxosFrameMessagesCommitFieldEvent | PaxosFrameMessagesValueKindFieldEvent | PaxosFrameMessagesValueIdFieldEvent | PaxosFrameMessagesValueDataFieldEvent | PaxosFrameMessagesValueMembersFieldEvent | PaxosFrameMessagesBoothFieldEvent | PaxosFrameMessagesPromisedRoundFieldEvent | PaxosFrameMessagesPromisedProposerFieldEvent | PaxosFrameMessagesEntriesSlotFieldEvent | PaxosFrameMessagesEntriesBallotRoundFieldEvent | PaxosFrameMessagesEntriesBallotProposerFieldEvent | PaxosFrameMessagesEntriesValueKindFieldEvent | PaxosFrameMessagesEntriesValueIdFieldEvent | PaxosFrameMessagesEntriesValueDataFieldEvent | PaxosFrameMessagesEntriesValueMembersFieldEvent | PaxosFrameMessagesEntriesBoothFieldEvent | PaxosFrameMessagesEntriesDecidedFieldEvent | PaxosFrameMessagesEntriesProofRoundFieldEvent | PaxosFrameMessagesEntriesProofSignatureFieldEvent | PaxosFrameMessagesBoothsSlotFieldEvent | PaxosFrameMessagesBoothsMembersFieldEvent | PaxosFrameMessagesHeightFieldEvent | PaxosFrameMessagesHashFieldEvent | PaxosFrameMessagesReadFieldEvent | PaxosFrameMessagesGrantedFieldEvent | PaxosFrameMessagesPointSlotFieldEvent | PaxosFrameMessagesProofFieldEvent | PaxosFrameMessagesCommitProofFieldEvent | PaxosFrameMessagesProvenCommitFieldEvent | PaxosFrameMessagesHeldHeightFieldEvent | PaxosFrameMessagesTakeoverFieldEvent> {
    return streamMessage(buf, PaxosFrame.codec(), opts)
  }
}

export interface Batch {
  proposer: string
  ballot?: Ballot
  timestamp: number
  payload: Uint8Array<ArrayBuffer>
  writes: WriteRef[]
}

export namespace Batch {
  let _codec: Codec<Batch>

  export const codec = (): Codec<Batch> => {
    if (_codec == null) {
      _codec = message<Batch>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.proposer != null && obj.proposer !== '')) {
          w.uint32(10)
          w.string(obj.proposer)
        }

        if (obj.ballot != null) {
          w.uint32(18)
          Ballot.codec().encode(obj.ballot, w)
        }

        if ((obj.timestamp != null && obj.timestamp !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.timestamp)
        }

        if ((obj.payload != null && obj.payload.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.payload)
        }

        if (obj.writes != null && obj.writes.length > 0) {
          for (const value of obj.writes) {
            w.uint32(42)
            WriteRef.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          proposer: '',
          timestamp: 0,
          payload: uint8ArrayAlloc(0),
          writes: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.proposer = reader.string()
              break
            }
            case 2: {
              obj.ballot = Ballot.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.ballot
              })
              break
            }
            case 3: {
              obj.timestamp = reader.uint64Number()
              break
            }
            case 4: {
              obj.payload = reader.bytes()
              break
            }
            case 5: {
              if (opts.limits?.writes != null && obj.writes.length === opts.limits.writes) {
                throw new MaxLengthError('Decode error - repeated field "writes" had too many elements')
              }

              obj.writes.push(WriteRef.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.writes$
              }))
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
          writes: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield {
                field: `${prefix}.proposer`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield * Ballot.codec().stream(reader, reader.uint32(), `${prefix}.ballot`, {
                limits: opts.limits?.ballot
              })

              break
            }
            case 3: {
              yield {
                field: `${prefix}.timestamp`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.payload`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              if (opts.limits?.writes != null && obj.writes === opts.limits.writes) {
                throw new MaxLengthError('Streaming decode error - repeated field "writes" had too many elements')
              }

              for (const evt of WriteRef.codec().stream(reader, reader.uint32(), `${prefix}.writes[]`, {
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

  export interface BatchProposerFieldEvent {
    field: '$.proposer'
    value: string
  }

  export interface BatchBallotRoundFieldEvent {
    field: '$.ballot.round'
    value: number
  }

  export interface BatchBallotProposerFieldEvent {
    field: '$.ballot.proposer'
    value: string
  }

  export interface BatchTimestampFieldEvent {
    field: '$.timestamp'
    value: number
  }

  export interface BatchPayloadFieldEvent {
    field: '$.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BatchWritesFromFieldEvent {
    field: '$.writes[].from'
    value: string
    index: number
  }

  export interface BatchWritesIdFieldEvent {
    field: '$.writes[].id'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export interface BatchWritesCarrierFieldEvent {
    field: '$.writes[].carrier'
    value: string
    index: number
  }

  export function encode (obj: Partial<Batch>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Batch.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Batch>): Batch {
    return decodeMessage(buf, Batch.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Batch>): Generator<BatchProposerFieldEvent | BatchBallotRoundFieldEvent | BatchBallotProposerFieldEvent | BatchTimestampFieldEvent | BatchPayloadFieldEvent | BatchWritesFromFieldEvent | BatchWritesIdFieldEvent | BatchWritesCarrierFieldEvent> {
    return streamMessage(buf, Batch.codec(), opts)
  }
}

export interface WriteRef {
  from: string
  id: Uint8Array<ArrayBuffer>
  carrier: string
}

export namespace WriteRef {
  let _codec: Codec<WriteRef>

  export const codec = (): Codec<WriteRef> => {
    if (_codec == null) {
      _codec = message<WriteRef>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.from != null && obj.from !== '')) {
          w.uint32(10)
          w.string(obj.from)
        }

        if ((obj.id != null && obj.id.byteLength > 0)) {
          w.uint32(18)
          w.bytes(obj.id)
        }

        if ((obj.carrier != null && obj.carrier !== '')) {
          w.uint32(26)
          w.string(obj.carrier)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          from: '',
          id: uint8ArrayAlloc(0),
          carrier: ''
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.from = reader.string()
              break
            }
            case 2: {
              obj.id = reader.bytes()
              break
            }
            case 3: {
              obj.carrier = reader.string()
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
                field: `${prefix}.from`,
                value: reader.string()
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.id`,
                value: reader.bytes()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.carrier`,
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

  export interface WriteRefFromFieldEvent {
    field: '$.from'
    value: string
  }

  export interface WriteRefIdFieldEvent {
    field: '$.id'
    value: Uint8Array<ArrayBuffer>
  }

  export interface WriteRefCarrierFieldEvent {
    field: '$.carrier'
    value: string
  }

  export function encode (obj: Partial<WriteRef>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, WriteRef.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WriteRef>): WriteRef {
    return decodeMessage(buf, WriteRef.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<WriteRef>): Generator<WriteRefFromFieldEvent | WriteRefIdFieldEvent | WriteRefCarrierFieldEvent> {
    return streamMessage(buf, WriteRef.codec(), opts)
  }
}
