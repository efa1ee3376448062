/**
 * Every peer by name, and a helper that starts one, runs a measurement
 * against it and always stops it. Scenarios pick their peers from
 * {@link PEER_NAMES}; Andon's variants (stores, workers, profiling) are
 * started with `startAndon` directly.
 */
import { type AndonPeerOptions, startAndon } from './andon.js';
import { startNchan } from './nchan.js';
import { NODE_PEERS, type NodePeerName, startNodePeer } from './node-peers.js';
import type { Peer } from './peer.js';

export { type AndonPeerOptions, BENCH_TOPIC, startAndon } from './andon.js';
export type { Peer } from './peer.js';

/** Peers in table order: the Node baselines, better-sse, nchan, then Andon. */
export const PEER_NAMES = [
  'raw-per-event',
  'raw-coalesced',
  'better-sse',
  'nchan',
  'nchan-2w',
  'andon',
] as const;

export type PeerName = (typeof PEER_NAMES)[number];

/** Options of {@link startPeer}. */
export interface StartPeerOptions {
  /** Progress lines (installing nginx, building Andon). */
  readonly log?: (line: string) => void;
  /** Options for the `andon` peer. */
  readonly andon?: AndonPeerOptions;
}

/** Starts the peer called `name`. */
export function startPeer(name: PeerName, options: StartPeerOptions = {}): Promise<Peer> {
  if (name in NODE_PEERS) return startNodePeer(name as NodePeerName);
  if (name === 'nchan') return startNchan(1, options.log);
  if (name === 'nchan-2w') return startNchan(2, options.log);
  return startAndon({ ...(options.log ? { log: options.log } : {}), ...options.andon });
}

/** Starts `name`, runs `measure` against it, and stops it whatever happens. */
export async function withPeer<T>(
  name: PeerName,
  options: StartPeerOptions,
  measure: (peer: Peer) => Promise<T>,
): Promise<T> {
  const peer = await startPeer(name, options);
  try {
    return await measure(peer);
  } finally {
    await peer.stop();
  }
}
