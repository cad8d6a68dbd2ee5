/**
 * What a holder's answer to a leader or quorum read counts as (quorum-read.ts
 * HolderAnswer): a version of the key or block, "absent", or no answer.
 *
 * No answer: an obsolete backup not released yet (role STALE: its copy may be
 * old, and two such could agree on an old value), a block that does not check
 * out (block-answer.ts), a holder that is not the leader a leader read asked
 * (with the leader it names, for the read to follow), "no such block" at a
 * height the holder says its chain reached, and any other status.
 * The first two and the contradiction are `lasting`: a quorum read does not wait for them to change.
 */
import { ReadRequest, ReadResponse, valueHeightProblem } from '../protocols/read/index.ts'
import { checkedBlock } from './block-answer.ts'
import type { HolderAnswer } from './quorum-read.ts'

export function holderAnswer (peer: string, request: ReadRequest, res: Partial<ReadResponse>): HolderAnswer {
  const status = res.status ?? ReadResponse.Status.OK
  if ((status === ReadResponse.Status.OK || status === ReadResponse.Status.NOT_FOUND) && res.role === ReadResponse.Role.STALE) {
    return { peer, status: 'unavailable', error: 'an obsolete backup, not released yet: its copy may be old', lasting: true }
  }
  if (status === ReadResponse.Status.OK && request.kind === ReadRequest.Kind.BLOCK) {
    try {
      const block = checkedBlock(request.chainId, request.height, res.blocks)
      return { peer, status: 'value', value: block.hash, valueHeight: block.header.height, height: res.height ?? 0, block }
    } catch (err) {
      return { peer, status: 'unavailable', error: `an invalid block: ${(err as Error).message}`, lasting: true }
    }
  }
  if (status === ReadResponse.Status.OK) {
    const contradiction = valueHeightProblem({ valueHeight: res.valueHeight ?? 0, height: res.height ?? 0 })
    if (contradiction != null) return { peer, status: 'unavailable', error: `an answer that contradicts itself: ${contradiction}`, lasting: true }
    // a copy: the decoded field is a view into the whole answer frame (a Buffer), which it would keep alive
    return { peer, status: 'value', value: Uint8Array.from(res.value ?? []), valueHeight: res.valueHeight ?? 0, height: res.height ?? 0 }
  }
  if (status === ReadResponse.Status.NOT_FOUND) {
    // a chain that reached the height holds its block there (retention prunes payloads, never blocks): one
    // liar's "no block 2" at height 1,000,000 failed quorum block reads (a review)
    if (request.kind === ReadRequest.Kind.BLOCK && (res.height ?? 0) >= request.height) {
      return { peer, status: 'unavailable', error: `an answer that contradicts itself: no block ${request.height} in a chain at height ${res.height ?? 0}`, lasting: true }
    }
    return { peer, status: 'absent', height: res.height ?? 0 }
  }
  if (status === ReadResponse.Status.NOT_LEADER) {
    return { peer, status: 'unavailable', error: `not the leader: ${res.message ?? ''}`, notLeader: true, ...(res.leader != null && res.leader !== '' ? { leader: res.leader } : {}) }
  }
  return { peer, status: 'unavailable', error: `${ReadResponse.Status[status] ?? status}: ${res.message ?? ''}` }
}
