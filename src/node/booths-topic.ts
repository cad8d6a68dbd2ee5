/**
 * The gossipsub topic booth results (with their backup tables) go out on, one per network.
 * 2: message ids are by content (messageId in libp2p.ts), where 1 had gossipsub's sender and
 * sequence number. Nodes with the two ids would not understand each other's IHAVE/IWANT (each
 * asks again for what it has, and a delivered message never keeps an IWANT's promise, which
 * scores the sender down), so the two versions do not share a topic.
 */
export const BOOTHS_TOPIC_VERSION = 2

export function boothsTopic (network: string): string {
  return `vguard/${network}/booths/${BOOTHS_TOPIC_VERSION}`
}
