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

export interface BlockHeader {
  chainId: string
  height: number
  prevHash: Uint8Array<ArrayBuffer>
  payloadHash: Uint8Array<ArrayBuffer>
  proposer: string
  booth: string[]
  ballot?: Ballot
  timestamp: number
  txCount: number
  payloadBytes: number
}

export namespace BlockHeader {
  let _codec: Codec<BlockHeader>

  export const codec = (): Codec<BlockHeader> => {
    if (_codec == null) {
      _codec = message<BlockHeader>((obj, w, opts = {}) => {
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

        if ((obj.prevHash != null && obj.prevHash.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.prevHash)
        }

        if ((obj.payloadHash != null && obj.payloadHash.byteLength > 0)) {
          w.uint32(34)
          w.bytes(obj.payloadHash)
        }

        if ((obj.proposer != null && obj.proposer !== '')) {
          w.uint32(42)
          w.string(obj.proposer)
        }

        if (obj.booth != null && obj.booth.length > 0) {
          for (const value of obj.booth) {
            w.uint32(50)
            w.string(value)
          }
        }

        if (obj.ballot != null) {
          w.uint32(58)
          Ballot.codec().encode(obj.ballot, w)
        }

        if ((obj.timestamp != null && obj.timestamp !== 0)) {
          w.uint32(64)
          w.uint64Number(obj.timestamp)
        }

        if ((obj.txCount != null && obj.txCount !== 0)) {
          w.uint32(72)
          w.uint32(obj.txCount)
        }

        if ((obj.payloadBytes != null && obj.payloadBytes !== 0)) {
          w.uint32(80)
          w.uint64Number(obj.payloadBytes)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          chainId: '',
          height: 0,
          prevHash: uint8ArrayAlloc(0),
          payloadHash: uint8ArrayAlloc(0),
          proposer: '',
          booth: [],
          timestamp: 0,
          txCount: 0,
          payloadBytes: 0
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
              obj.prevHash = reader.bytes()
              break
            }
            case 4: {
              obj.payloadHash = reader.bytes()
              break
            }
            case 5: {
              obj.proposer = reader.string()
              break
            }
            case 6: {
              if (opts.limits?.booth != null && obj.booth.length === opts.limits.booth) {
                throw new MaxLengthError('Decode error - repeated field "booth" had too many elements')
              }

              obj.booth.push(reader.string())
              break
            }
            case 7: {
              obj.ballot = Ballot.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.ballot
              })
              break
            }
            case 8: {
              obj.timestamp = reader.uint64Number()
              break
            }
            case 9: {
              obj.txCount = reader.uint32()
              break
            }
            case 10: {
              obj.payloadBytes = reader.uint64Number()
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
                field: `${prefix}.prevHash`,
                value: reader.bytes()
              }
              break
            }
            case 4: {
              yield {
                field: `${prefix}.payloadHash`,
                value: reader.bytes()
              }
              break
            }
            case 5: {
              yield {
                field: `${prefix}.proposer`,
                value: reader.string()
              }
              break
            }
            case 6: {
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
            case 7: {
              yield * Ballot.codec().stream(reader, reader.uint32(), `${prefix}.ballot`, {
                limits: opts.limits?.ballot
              })

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
                field: `${prefix}.txCount`,
                value: reader.uint32()
              }
              break
            }
            case 10: {
              yield {
                field: `${prefix}.payloadBytes`,
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

  export interface BlockHeaderChainIdFieldEvent {
    field: '$.chainId'
    value: string
  }

  export interface BlockHeaderHeightFieldEvent {
    field: '$.height'
    value: number
  }

  export interface BlockHeaderPrevHashFieldEvent {
    field: '$.prevHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlockHeaderPayloadHashFieldEvent {
    field: '$.payloadHash'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlockHeaderProposerFieldEvent {
    field: '$.proposer'
    value: string
  }

  export interface BlockHeaderBoothFieldEvent {
    field: '$.booth[]'
    index: number
    value: string
  }

  export interface BlockHeaderBallotRoundFieldEvent {
    field: '$.ballot.round'
    value: number
  }

  export interface BlockHeaderBallotProposerFieldEvent {
    field: '$.ballot.proposer'
    value: string
  }

  export interface BlockHeaderTimestampFieldEvent {
    field: '$.timestamp'
    value: number
  }

  export interface BlockHeaderTxCountFieldEvent {
    field: '$.txCount'
    value: number
  }

  export interface BlockHeaderPayloadBytesFieldEvent {
    field: '$.payloadBytes'
    value: number
  }

  export function encode (obj: Partial<BlockHeader>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, BlockHeader.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlockHeader>): BlockHeader {
    return decodeMessage(buf, BlockHeader.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlockHeader>): Generator<BlockHeaderChainIdFieldEvent | BlockHeaderHeightFieldEvent | BlockHeaderPrevHashFieldEvent | BlockHeaderPayloadHashFieldEvent | BlockHeaderProposerFieldEvent | BlockHeaderBoothFieldEvent | BlockHeaderBallotRoundFieldEvent | BlockHeaderBallotProposerFieldEvent | BlockHeaderTimestampFieldEvent | BlockHeaderTxCountFieldEvent | BlockHeaderPayloadBytesFieldEvent> {
    return streamMessage(buf, BlockHeader.codec(), opts)
  }
}

export interface Transaction {
  op: Transaction.Op
  key: string
  value: Uint8Array<ArrayBuffer>
}

export namespace Transaction {
  export enum Op {
    PUT = 'PUT',
    DELETE = 'DELETE'
  }

  enum __OpValues {
    PUT = 0,
    DELETE = 1
  }

  export namespace Op {
    export const codec = (): Codec<Op> => {
      return enumeration<Op>(__OpValues)
    }
  }

  let _codec: Codec<Transaction>

  export const codec = (): Codec<Transaction> => {
    if (_codec == null) {
      _codec = message<Transaction>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.op != null && __OpValues[obj.op] !== 0) {
          w.uint32(8)
          Transaction.Op.codec().encode(obj.op, w)
        }

        if ((obj.key != null && obj.key !== '')) {
          w.uint32(18)
          w.string(obj.key)
        }

        if ((obj.value != null && obj.value.byteLength > 0)) {
          w.uint32(26)
          w.bytes(obj.value)
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          op: Op.PUT,
          key: '',
          value: uint8ArrayAlloc(0)
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              obj.op = Transaction.Op.codec().decode(reader)
              break
            }
            case 2: {
              obj.key = reader.string()
              break
            }
            case 3: {
              obj.value = reader.bytes()
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
                field: `${prefix}.op`,
                value: Transaction.Op.codec().decode(reader)
              }
              break
            }
            case 2: {
              yield {
                field: `${prefix}.key`,
                value: reader.string()
              }
              break
            }
            case 3: {
              yield {
                field: `${prefix}.value`,
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

  export interface TransactionOpFieldEvent {
    field: '$.op'
    value: Transaction.Op
  }

  export interface TransactionKeyFieldEvent {
    field: '$.key'
    value: string
  }

  export interface TransactionValueFieldEvent {
    field: '$.value'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<Transaction>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Transaction.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Transaction>): Transaction {
    return decodeMessage(buf, Transaction.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Transaction>): Generator<TransactionOpFieldEvent | TransactionKeyFieldEvent | TransactionValueFieldEvent> {
    return streamMessage(buf, Transaction.codec(), opts)
  }
}

export interface Payload {
  transactions: Transaction[]
}

export namespace Payload {
  let _codec: Codec<Payload>

  export const codec = (): Codec<Payload> => {
    if (_codec == null) {
      _codec = message<Payload>((obj, w, opts = {}) => {
        if (opts.lengthDelimited !== false) {
          w.fork()
        }

        if (obj.transactions != null && obj.transactions.length > 0) {
          for (const value of obj.transactions) {
            w.uint32(10)
            Transaction.codec().encode(value, w)
          }
        }

        if (opts.lengthDelimited !== false) {
          w.ldelim()
        }
      }, (reader, length, opts = {}) => {
        const obj: any = {
          transactions: []
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.transactions != null && obj.transactions.length === opts.limits.transactions) {
                throw new MaxLengthError('Decode error - repeated field "transactions" had too many elements')
              }

              obj.transactions.push(Transaction.codec().decode(reader, reader.uint32(), {
                limits: opts.limits?.transactions$
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
          transactions: 0
        }

        const end = length == null ? reader.len : reader.pos + length

        while (reader.pos < end) {
          const tag = reader.uint32()

          switch (tag >>> 3) {
            case 1: {
              if (opts.limits?.transactions != null && obj.transactions === opts.limits.transactions) {
                throw new MaxLengthError('Streaming decode error - repeated field "transactions" had too many elements')
              }

              for (const evt of Transaction.codec().stream(reader, reader.uint32(), `${prefix}.transactions[]`, {
                limits: opts.limits?.transactions$
              })) {
                yield {
                  ...evt,
                  index: obj.transactions
                }
              }

              obj.transactions++

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

  export interface PayloadTransactionsOpFieldEvent {
    field: '$.transactions[].op'
    value: Transaction.Op
    index: number
  }

  export interface PayloadTransactionsKeyFieldEvent {
    field: '$.transactions[].key'
    value: string
    index: number
  }

  export interface PayloadTransactionsValueFieldEvent {
    field: '$.transactions[].value'
    value: Uint8Array<ArrayBuffer>
    index: number
  }

  export function encode (obj: Partial<Payload>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, Payload.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Payload>): Payload {
    return decodeMessage(buf, Payload.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<Payload>): Generator<PayloadTransactionsOpFieldEvent | PayloadTransactionsKeyFieldEvent | PayloadTransactionsValueFieldEvent> {
    return streamMessage(buf, Payload.codec(), opts)
  }
}

export interface BlockRecord {
  header: Uint8Array<ArrayBuffer>
  payload?: Uint8Array<ArrayBuffer>
}

export namespace BlockRecord {
  let _codec: Codec<BlockRecord>

  export const codec = (): Codec<BlockRecord> => {
    if (_codec == null) {
      _codec = message<BlockRecord>((obj, w, opts = {}) => {
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

  export interface BlockRecordHeaderFieldEvent {
    field: '$.header'
    value: Uint8Array<ArrayBuffer>
  }

  export interface BlockRecordPayloadFieldEvent {
    field: '$.payload'
    value: Uint8Array<ArrayBuffer>
  }

  export function encode (obj: Partial<BlockRecord>): Uint8Array<ArrayBuffer> {
    return encodeMessage(obj, BlockRecord.codec())
  }

  export function decode (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlockRecord>): BlockRecord {
    return decodeMessage(buf, BlockRecord.codec(), opts)
  }

  export function stream (buf: Uint8Array | Uint8ArrayList, opts?: DecodeOptions<BlockRecord>): Generator<BlockRecordHeaderFieldEvent | BlockRecordPayloadFieldEvent> {
    return streamMessage(buf, BlockRecord.codec(), opts)
  }
}
