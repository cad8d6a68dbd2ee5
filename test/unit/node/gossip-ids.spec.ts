import { describe, it, expect } from 'vitest'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { fastMessageId, messageId } from '../../../src/node/libp2p.ts'
import { boothsTopic } from '../../../src/node/booths-topic.ts'
import { peersTopic } from '../../../src/protocols/peer-exchange/index.ts'

describe('node - libp2p - gossip message ids', () => {
  const from = new Uint8Array([0, 36, 8, 1, 18, 32, 7, 7, 7])
  const seqno = new Uint8Array([0, 0, 0, 0, 0, 0, 0, 42])
  const topic = 'vguard/fleet/booths/2'
  const data = new Uint8Array([1, 2, 3, 4])

  it('gives every copy of a message one id, whatever its signature or key', () => {
    const a = fastMessageId({ from, seqno, topic, data })
    // the same bytes in other buffers, at other offsets
    const shifted = new Uint8Array(64)
    shifted.set(from, 5)
    shifted.set(data, 40)
    expect(fastMessageId({ from: shifted.subarray(5, 5 + from.length), seqno: Uint8Array.from(seqno), topic, data: shifted.subarray(40, 40 + data.length) })).toBe(a)
    const signedCopy = { from, seqno, topic, data, signature: new Uint8Array(64), key: new Uint8Array(36) }
    expect(fastMessageId(signedCopy)).toBe(a)
  })

  it('tells apart two messages of one sender under one sequence number, and any other field', () => {
    const a = fastMessageId({ from, seqno, topic, data })
    expect(fastMessageId({ from, seqno, topic, data: new Uint8Array([1, 2, 3, 5]) })).not.toBe(a)
    expect(fastMessageId({ from, seqno, topic, data: data.subarray(0, 3) })).not.toBe(a)
    expect(fastMessageId({ from, seqno, topic: 'vguard/fleet/peers/2', data })).not.toBe(a)
    expect(fastMessageId({ from, seqno: new Uint8Array([0, 0, 0, 0, 0, 0, 0, 43]), topic, data })).not.toBe(a)
    expect(fastMessageId({ from: Uint8Array.from([...from.slice(0, -1), 8]), seqno, topic, data })).not.toBe(a)
    // no field runs into the next
    expect(fastMessageId({ from: from.slice(0, -1), seqno: Uint8Array.from([7, ...seqno]), topic, data })).not.toBe(a)
    expect(fastMessageId({ from, seqno, topic: `${topic}\u0001`, data: data.subarray(1) })).not.toBe(a)
  })

  it('no data and empty data are one content (gossipsub verifies both alike)', () => {
    expect(fastMessageId({ from, seqno, topic })).toBe(fastMessageId({ from, seqno, topic, data: new Uint8Array(0) }))
  })

  it('gives unsigned messages (refused by validation, never cached) no id of a real one', () => {
    expect(fastMessageId({ topic, data })).toBe('')
    expect(fastMessageId({ from, topic, data })).toBe('')
  })

  it('the id and the fast id hash the same content: the message as gossipsub parsed it, and its bytes as they came', async () => {
    const key = await generateKeyPair('Ed25519')
    const sender = peerIdFromPrivateKey(key)
    const id = messageId({ type: 'signed', from: sender, topic, data, sequenceNumber: 42n, signature: new Uint8Array(64), key: key.publicKey })
    expect(id).toHaveLength(32)
    expect(Buffer.from(id).toString('base64')).toBe(fastMessageId({ from: sender.toMultihash().bytes, seqno, topic, data }))
    expect(messageId({ type: 'signed', from: sender, topic, data: new Uint8Array([9]), sequenceNumber: 42n, signature: new Uint8Array(64), key: key.publicKey })).not.toEqual(id)
  })

  it('both topics carry the version of these ids (nodes with sender-and-number ids were on 1)', () => {
    expect(boothsTopic('fleet')).toBe('vguard/fleet/booths/2')
    expect(peersTopic('fleet')).toBe('vguard/fleet/peers/2')
  })
})
