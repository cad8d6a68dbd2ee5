/** The gossipsub topic booth results (with their backup tables) go out on, one per network. */
export const BOOTHS_TOPIC_VERSION = 1

export function boothsTopic (network: string): string {
  return `vguard/${network}/booths/${BOOTHS_TOPIC_VERSION}`
}
