/**
 * gossipsub's peer score for our topics (booth results, peer exchange): only
 * invalid message deliveries (P4) count. A message our validators Reject is
 * junk a member signed (see BoothResultGossip.judge and PeerExchange.judge), and without
 * topic parameters gossipsub counted none of it: a member could publish junk
 * for ever, each piece costing every neighbour a decode and a signature
 * check. Everything that may come from an honest vehicle (gossip relayed by
 * or from outside the network, a table off our allow list) is Ignore, which
 * scores nothing.
 */
import type { PeerScoreParams, TopicScoreParams } from '@libp2p/gossipsub/score'
import { boothsTopic } from './booths-topic.ts'
import { peersTopic } from '../protocols/peer-exchange/index.ts'

/**
 * A rejected message counts 1 on its topic, and the count decays 1 % a second
 * (half-life ~69 s); a topic adds -10 × count² to the sender's score. With
 * gossipsub's default thresholds, 3 rejections on a topic within ~10 s take a
 * sender below the graylist threshold (-80: its RPCs are ignored); it
 * stays there while the count is above 2.83, ~30 s for each rejection past
 * that, and is back to 0 after ~6 min without junk. One rejection (-10) costs
 * nothing yet, two (-40) stop the IHAVE/IWANT gossip with the sender.
 */
export const INVALID_DELIVERY_WEIGHT = -10
export const INVALID_DELIVERY_DECAY = 0.99

/**
 * P1–P3b off: time in mesh and first deliveries would only add to the score
 * (nothing here relies on that), and mesh delivery deficits would score down
 * an honest vehicle for being quiet (a vehicle publishes a booth result per
 * round and its view now and then, far below any delivery rate worth asking).
 * gossipsub fills what is left out with defaults that turn them on.
 */
export const OUR_TOPIC_SCORE: TopicScoreParams = {
  topicWeight: 1,
  timeInMeshWeight: 0,
  timeInMeshQuantum: 1_000,
  timeInMeshCap: 3_600,
  firstMessageDeliveriesWeight: 0,
  firstMessageDeliveriesDecay: 0.5,
  firstMessageDeliveriesCap: 2_000,
  meshMessageDeliveriesWeight: 0,
  meshMessageDeliveriesDecay: 0.5,
  meshMessageDeliveriesCap: 100,
  meshMessageDeliveriesThreshold: 20,
  meshMessageDeliveriesWindow: 10,
  meshMessageDeliveriesActivation: 5_000,
  meshFailurePenaltyWeight: 0,
  meshFailurePenaltyDecay: 0.5,
  invalidMessageDeliveriesWeight: INVALID_DELIVERY_WEIGHT,
  invalidMessageDeliveriesDecay: INVALID_DELIVERY_DECAY
}

/** The score parameters of a network's topics, for gossipsub's `scoreParams`. */
export function gossipScoreParams (network: string): Partial<PeerScoreParams> {
  return {
    topics: {
      [boothsTopic(network)]: OUR_TOPIC_SCORE,
      [peersTopic(network)]: OUR_TOPIC_SCORE
    },
    // gossipsub's Sybil guard scores down peers that share an IP (-5 × the
    // square of how many past 10): the 14th vehicle on one host was
    // graylisted and gossip (peer exchange, backup tables) stopped reaching
    // anyone past the 13th. Vehicles on one host (a laptop, the demo, the
    // tests) all share 127.0.0.1, and who takes part is decided by the
    // network name and allow list (others are refused), not by addresses.
    IPColocationFactorWeight: 0
  }
}
