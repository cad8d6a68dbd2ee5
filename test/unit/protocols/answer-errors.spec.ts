/**
 * How a peer's broken answer is named: one that ended early (the peer went
 * away mid-transfer) is not called malformed, which sent operators looking
 * for a version mismatch.
 */
import { describe, it, expect } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { asInvalidMessage } from '../../../src/protocols/stream.ts'
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
})
