/**
 * How a peer's broken answer is named: one that ended early (the peer went
 * away mid-transfer) is not called malformed, which sent operators looking
 * for a version mismatch.
 */
import { describe, it, expect } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { asInvalidMessage, decoderOf } from '../../../src/protocols/stream.ts'
import { WriteResponse } from '../../../src/protocols/write/pb/write.ts'
import { AnswerCutOffError, InvalidMessageError } from '../../../src/protocols/errors.ts'
import { statusOf } from '../../../src/http/errors.ts'

describe('protocols - answer errors', () => {
  it('an answer cut off is AnswerCutOffError (503 over HTTP), one over a limit is malformed (502), others pass through', async () => {
    const peer = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const cut = asInvalidMessage(Object.assign(new Error('Unexpected EOF - stream closed while reading 0/1 bytes'), { name: 'UnexpectedEOFError' }), '/vguard/replicate/1.0.0', peer)
    expect(cut).toBeInstanceOf(AnswerCutOffError)
    expect(cut).toBeInstanceOf(InvalidMessageError)
    expect(cut.name).toBe('AnswerCutOffError')
    expect(cut.message).toMatch(/the answer from .* was cut off \(it went away, or closed the stream mid-answer\)/)
    const big = Object.assign(new Error('message too long'), { name: 'MaxLengthError' })
    const over = asInvalidMessage(big, '/vguard/read/1.0.0', peer)
    expect(over.name).toBe('InvalidMessageError')
    expect(over.message).toMatch(/malformed answer from/)
    const other = new Error('something else')
    expect(asInvalidMessage(other, '/vguard/read/1.0.0', peer)).toBe(other)
    expect(statusOf(cut)).toBe(503)
    expect(statusOf(over)).toBe(502)
  })

  it('decoderOf escapes and cuts the text fields it is given, strings and lists alike, and leaves the rest as sent', () => {
    const decoder = decoderOf(WriteResponse, 'write answer', { message: 10, error: 64, backups: 6 })
    const answer = (fields: Partial<WriteResponse>): Uint8Array => WriteResponse.encode({ status: WriteResponse.Status.ERROR, height: 0, hash: new Uint8Array(), leader: '', message: '', replication: WriteResponse.Replication.NOT_REPORTED, backups: [], error: '', mayHaveCommitted: false, ...fields })
    const honest = { message: 'stopped', error: 'ConsensusStoppedError', backups: ['p1', 'p2'], leader: 'L' }
    expect(decoder.decode(answer(honest))).toMatchObject(honest)
    expect(decoder.decode(answer({ message: '\u001b[2Jabcdefghijkl', backups: ['ok', '\u202eevil'], leader: '\u001b' }))).toMatchObject({
      message: '\\u001b[2Ja… [11 more characters cut]',
      backups: ['ok', '\\u202e… [4 more characters cut]'],
      // a field not named is as sent
      leader: '\u001b'
    })
  })
})
