import { decodeMessage, encodeMessage, enumeration, MaxLengthError, message, streamMessage } from 'protons-runtime'
import { alloc as uint8ArrayAlloc } from 'uint8arrays/alloc'
import type { Codec, DecodeOptions } from 'protons-runtime'
import type { Uint8ArrayList } from 'uint8arraylist'

export interface StoredBallot {
  round: number
  proposer: string
}

export namespace StoredBallot {
  let _codec: Codec<StoredBallot>

  export const codec = (): Codec<StoredBallot> => {
    if (_codec == null) {
      _codec = message<StoredBallot>((obj, w, opts = {}) => {
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

  export interface StoredBallotRoundFieldEvent {
    field: '$.round'
    value: number
  }

  export interface StoredBallotProposerFieldEvent {
    field: '$.proposer'
    value: string
  }

  export function encode (obj: Partial<StoredBallot>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StoredBallot.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoredBallot>): StoredBallot {
    return decodeMessage(buf, StoredBallot.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoredBallot>): Generator<StoredBallotRoundFieldEvent | StoredBallotProposerFieldEvent> {
    return streamMessage(buf, StoredBallot.codec(), opts)
  }
}

export interface StoredEpoch {
  slot: number
  members: string[]
}

export namespace StoredEpoch {
  let _codec: Codec<StoredEpoch>

  export const codec = (): Codec<StoredEpoch> => {
    if (_codec == null) {
      _codec = message<StoredEpoch>((obj, w, opts = {}) => {
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

  export interface StoredEpochSlotFieldEvent {
    field: '$.slot'
    value: number
  }

  export interface StoredEpochMembersFieldEvent {
    field: '$.members[]'
    index: number
    value: string
  }

  export function encode (obj: Partial<StoredEpoch>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StoredEpoch.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoredEpoch>): StoredEpoch {
    return decodeMessage(buf, StoredEpoch.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoredEpoch>): Generator<StoredEpochSlotFieldEvent | StoredEpochMembersFieldEvent> {
    return streamMessage(buf, StoredEpoch.codec(), opts)
  }
}

export interface StoredHardState {
  promised?: StoredBallot
  round: number
  commit: number
  compacted: number
  booths: StoredEpoch[]
  provenCommit: number
  commitProof: Uint8Array<ArrayBuffer>
}

export namespace StoredHardState {
  let _codec: Codec<StoredHardState>

  export const codec = (): Codec<StoredHardState> => {
    if (_codec == null) {
      _codec = message<StoredHardState>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.promised != null) {
          w.uint32(10)
          StoredBallot.codec().encode(obj.promised, w)
        }

        if ((obj.round != null && obj.round !== 0)) {
          w.uint32(16)
          w.uint64Number(obj.round)
        }

        if ((obj.commit != null && obj.commit !== 0)) {
          w.uint32(24)
          w.uint64Number(obj.commit)
        }

        if ((obj.compacted != null && obj.compacted !== 0)) {
          w.uint32(32)
          w.uint64Number(obj.compacted)
        }

        if (obj.booths != null && obj.booths.length > 0) {
          for (const value of obj.booths) {
            w.uint32(42)
            StoredEpoch.codec().encode(value, w)
          }
        }

        if ((obj.provenCommit != null && obj.provenCommit !== 0)) {
          w.uint32(48)
          w.uint64Number(obj.provenCommit)
        }

        if ((obj.commitProof != null && obj.commitProof.byteLength > 0)) {
          w.uint32(58)
          w.bytes(obj.commitProof)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          round: 0,
          commit: 0,
          compacted: 0,
          booths: [],
          provenCommit: 0,
          commitProof: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.promised = StoredBallot.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.promised
              })
              break
            }
            case 2: {
              obj.round = reader.uint64Number()
              break
            }
            case 3: {
              obj.commit = reader.uint64Number()
              break
            }
            case 4: {
              obj.compacted = reader.uint64Number()
              break
            }
            case 5: {
              if (opts.limits?.booths != null && obj.booths.length === opts.limits.booths) {
                throw new MaxLengthError('Decode error - repeated field "booths" had too many elements')
              }

              obj.booths.push(StoredEpoch.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.booths$
              }))
              break
            }
            case 6: {
              obj.provenCommit = reader.uint64Number()
              break
            }
            case 7: {
              obj.commitProof = reader.bytes()
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
          booths: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              yield * StoredBallot.codec().stream(reader, reader.uint32(), `${prefix}.promised`, {
                limits: opts.limits?.promised
              })

              break
            }
            case 2: {
              yield {
                field: `${prefix}.round`,
                value: reader.uint64Number()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.commit`,
                value: reader.uint64Number()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.compacted`,
                value: reader.uint64Number()
              }
              break
            }
            case 5: {
              if (opts.limits?.booths != null && obj.booths === opts.limits.booths) {
                throw new MaxLengthError('Streaming decode error - repeated field "booths" had too many elements')
              }

              for (const evt of StoredEpoch.codec().stream(reader, reader.uint32(), `${prefix}.booths[]`, {
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
            case 6: {
              yield {
                field: `${prefix}.provenCommit`,
                value: reader.uint64Number()
              }
              break
            }
            case 7: {
              yield {
                field: `${prefix}.commitProof`,
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

  export interface StoredHardStatePromisedRoundFieldEvent {
    field: '$.promised.round'
    value: number
  }

  export interface StoredHardStatePromisedProposerFieldEvent {
    field: '$.promised.proposer'
    value: string
  }

  export interface StoredHardStateRoundFieldEvent {
    field: '$.round'
    value: number
  }

  export interface StoredHardStateCommitFieldEvent {
    field: '$.commit'
    value: number
  }

  export interface StoredHardStateCompactedFieldEvent {
    field: '$.compacted'
    value: number
  }

  export interface StoredHardStateBoothsSlotFieldEvent {
    field: '$.booths[].slot'
    value: number
    index: number
  }

  export interface StoredHardStateBoothsMembersFieldEvent {
    field: '$.booths[].members[]'
    index: number
    value: string
  }

  export interface StoredHardStateProvenCommitFieldEvent {
    field: '$.provenCommit'
    value: number
  }

  export interface StoredHardStateCommitProofFieldEvent {
    field: '$.commitProof'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<StoredHardState>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StoredHardState.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoredHardState>): StoredHardState {
    return decodeMessage(buf, StoredHardState.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoredHardState>): Generator<StoredHardStatePromisedRoundFieldEvent | StoredHardStatePromisedProposerFieldEvent | StoredHardStateRoundFieldEvent | StoredHardStateCommitFieldEvent | StoredHardStateCompactedFieldEvent | StoredHardStateBoothsSlotFieldEvent | StoredHardStateBoothsMembersFieldEvent | StoredHardStateProvenCommitFieldEvent | StoredHardStateCommitProofFieldEvent> {
    return streamMessage(buf, StoredHardState.codec(), opts)
  }
}

export interface StoredEntry {
  slot: number
  ballot?: StoredBallot
  kind: StoredEntry.Kind
  id: string
  data: Uint8Array<ArrayBuffer>
  members: string[]
  booth: string[]
  decided: boolean
  logSegment: number
  logOffset: number
  logLength: number
  logCrc: number
  proofRound: number
  proofSignature: Uint8Array<ArrayBuffer>
}

export namespace StoredEntry {
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

  let _codec: Codec<StoredEntry>

  export const codec = (): Codec<StoredEntry> => {
    if (_codec == null) {
      _codec = message<StoredEntry>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if ((obj.slot != null && obj.slot !== 0)) {
          w.uint32(8)
          w.uint64Number(obj.slot)
        }

        if (obj.ballot != null) {
          w.uint32(18)
          StoredBallot.codec().encode(obj.ballot, w)
        }

        if (obj.kind != null && __KindValues[obj.kind] !== 0) {
          w.uint32(24)
          StoredEntry.Kind.codec().encode(obj.kind, w)
        }

        if ((obj.id != null && obj.id !== '')) {
          w.uint32(34)
          w.string(obj.id)
        }

        if ((obj.data != null && obj.data.byteLength > 0)) {
          w.uint32(42)
          w.bytes(obj.data)
        }

        if (obj.members != null && obj.members.length > 0) {
          for (const value of obj.members) {
            w.uint32(50)
            w.string(value)
          }
        }

        if (obj.booth != null && obj.booth.length > 0) {
          for (const value of obj.booth) {
            w.uint32(58)
            w.string(value)
          }
        }

        if ((obj.decided != null && obj.decided !== false)) {
          w.uint32(64)
          w.bool(obj.decided)
        }

        if ((obj.logSegment != null && obj.logSegment !== 0)) {
          w.uint32(72)
          w.uint64Number(obj.logSegment)
        }

        if ((obj.logOffset != null && obj.logOffset !== 0)) {
          w.uint32(80)
          w.uint64Number(obj.logOffset)
        }

        if ((obj.logLength != null && obj.logLength !== 0)) {
          w.uint32(88)
          w.uint32(obj.logLength)
        }

        if ((obj.logCrc != null && obj.logCrc !== 0)) {
          w.uint32(96)
          w.uint32(obj.logCrc)
        }

        if ((obj.proofRound != null && obj.proofRound !== 0)) {
          w.uint32(104)
          w.uint64Number(obj.proofRound)
        }

        if ((obj.proofSignature != null && obj.proofSignature.byteLength > 0)) {
          w.uint32(114)
          w.bytes(obj.proofSignature)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          slot: 0,
          kind: Kind.DATA,
          id: '',
          data: uint8ArrayAlloc(0),
          members: [],
          booth: [],
          decided: false,
          logSegment: 0,
          logOffset: 0,
          logLength: 0,
          logCrc: 0,
          proofRound: 0,
          proofSignature: uint8ArrayAlloc(0)
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
              obj.ballot = StoredBallot.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.ballot
              })
              break
            }
            case 3: {
              obj.kind = StoredEntry.Kind.codec().decode(reader)
              break
            }
            case 4: {
              obj.id = reader.string()
              break
            }
            case 5: {
              obj.data = reader.bytes()
              break
            }
            case 6: {
              if (opts.limits?.members != null && obj.members.length === opts.limits.members) {
                throw new MaxLengthError('Decode error - repeated field "members" had too many elements')
              }

              obj.members.push(reader.string())
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
              obj.decided = reader.bool()
              break
            }
            case 9: {
              obj.logSegment = reader.uint64Number()
              break
            }
            case 10: {
              obj.logOffset = reader.uint64Number()
              break
            }
            case 11: {
              obj.logLength = reader.uint32()
              break
            }
            case 12: {
              obj.logCrc = reader.uint32()
              break
            }
            case 13: {
              obj.proofRound = reader.uint64Number()
              break
            }
            case 14: {
              obj.proofSignature = reader.bytes()
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
          members: 0,
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
              yield * StoredBallot.codec().stream(reader, reader.uint32(), `${prefix}.ballot`, {
                limits: opts.limits?.ballot
              })

              break
            }
            case 3: {
              yield {
                field: `${prefix}.kind`,
                value: StoredEntry.Kind.codec().decode(reader)
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.id`,
                value: reader.string()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.data`,
                value: reader.bytes()
              }
              break
            }
            case 6: {
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
              yield {
                field: `${prefix}.decided`,
                value: reader.bool()
              }
              break
            }
            case 9: {
              yield {
                field: `${prefix}.logSegment`,
                value: reader.uint64Number()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.logOffset`,
                value: reader.uint64Number()
              }
              break
            }
            case 11: {
              yield {
                field: `${prefix}.logLength`,
                value: reader.uint32()
              }
              break
            }
            case 12: {
              yield {
                field: `${prefix}.logCrc`,
                value: reader.uint32()
              }
              break
            }
            case 13: {
              yield {
                field: `${prefix}.proofRound`,
                value: reader.uint64Number()
              }
              break
            }
            case 14: {
              yield {
                field: `${prefix}.proofSignature`,
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

  export interface StoredEntrySlotFieldEvent {
    field: '$.slot'
    value: number
  }

  export interface StoredEntryBallotRoundFieldEvent {
    field: '$.ballot.round'
    value: number
  }

  export interface StoredEntryBallotProposerFieldEvent {
    field: '$.ballot.proposer'
    value: string
  }

  export interface StoredEntryKindFieldEvent {
    field: '$.kind'
    value: StoredEntry.Kind
  }

  export interface StoredEntryIdFieldEvent {
    field: '$.id'
    value: string
  }

  export interface StoredEntryDataFieldEvent {
    field: '$.data'
    value: Uint8Array<ArrayBuffer>
  }

  export interface StoredEntryMembersFieldEvent {
    field: '$.members[]'
    index: number
    value: string
  }

  export interface StoredEntryBoothFieldEvent {
    field: '$.booth[]'
    index: number
    value: string
  }

  export interface StoredEntryDecidedFieldEvent {
    field: '$.decided'
    value: boolean
  }

  export interface StoredEntryLogSegmentFieldEvent {
    field: '$.logSegment'
    value: number
  }

  export interface StoredEntryLogOffsetFieldEvent {
    field: '$.logOffset'
    value: number
  }

  export interface StoredEntryLogLengthFieldEvent {
    field: '$.logLength'
    value: number
  }

  export interface StoredEntryLogCrcFieldEvent {
    field: '$.logCrc'
    value: number
  }

  export interface StoredEntryProofRoundFieldEvent {
    field: '$.proofRound'
    value: number
  }

  export interface StoredEntryProofSignatureFieldEvent {
    field: '$.proofSignature'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<StoredEntry>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, StoredEntry.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoredEntry>): StoredEntry {
    return decodeMessage(buf, StoredEntry.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<StoredEntry>): Generator<StoredEntrySlotFieldEvent | StoredEntryBallotRoundFieldEvent | StoredEntryBallotProposerFieldEvent | StoredEntryKindFieldEvent | StoredEntryIdFieldEvent | StoredEntryDataFieldEvent | StoredEntryMembersFieldEvent | StoredEntryBoothFieldEvent | StoredEntryDecidedFieldEvent | StoredEntryLogSegmentFieldEvent | StoredEntryLogOffsetFieldEvent | StoredEntryLogLengthFieldEvent | StoredEntryLogCrcFieldEvent | StoredEntryProofRoundFieldEvent | StoredEntryProofSignatureFieldEvent> {
    return streamMessage(buf, StoredEntry.codec(), opts)
  }
}
