/**
 * What the side-by-side scenarios (`fanout`, `latency`, `idle-rss`) share:
 * how busy the whole machine was during a window, Andon's ratio to each
 * peer, and running every peer in turn so one that fails to start becomes a
 * row that says why instead of ending the run.
 */
import { cpus } from 'node:os';
import type { Peer, PeerName, StartPeerOptions } from '../peers/index.js';
import { withPeer } from '../peers/index.js';
import { formatRatio } from './table.js';

/** Reads the machine's CPU counters now; call the result to get the share busy since (0 to 1). */
export function machineBusy(): () => number {
  const read = () =>
    cpus().reduce(
      (sum, cpu) => {
        const { idle, user, nice, sys, irq } = cpu.times;
        return { idle: sum.idle + idle, all: sum.all + idle + user + nice + sys + irq };
      },
      { idle: 0, all: 0 },
    );
  const before = read();
  return () => {
    const after = read();
    const all = after.all - before.all;
    return all > 0 ? 1 - (after.idle - before.idle) / all : 0;
  };
}

/** `andon ÷ peer` formatted (`0.93×`), or a dash when either is missing. */
export function ratioCell(andon: number | undefined, peer: number | undefined): string {
  if (andon === undefined || peer === undefined || !(peer > 0)) return '—';
  return formatRatio(andon / peer);
}

/** A percentage of one core (`cores` 0.5 → `50%`). */
export function formatCores(cores: number): string {
  return Number.isFinite(cores) ? `${Math.round(cores * 100)}%` : '—';
}

/** A share (0 to 1) as a percentage. */
export function formatShare(share: number): string {
  return Number.isFinite(share) ? `${Math.round(share * 100)}%` : '—';
}

/** Mean of the finite numbers in `values`; undefined when there are none. */
export function mean(values: readonly number[]): number | undefined {
  const finite = values.filter((v) => Number.isFinite(v));
  return finite.length === 0 ? undefined : finite.reduce((a, b) => a + b, 0) / finite.length;
}

/** Waits `ms`: used only for fixed measurement windows and settling, never to synchronise. */
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `measure` against each peer in turn (started and stopped around it).
 * A peer that fails is logged and recorded in `failures`; the others go on.
 */
export async function eachPeer<T>(
  names: readonly PeerName[],
  options: StartPeerOptions & { readonly log: (line: string) => void },
  measure: (peer: Peer) => Promise<T>,
): Promise<{ results: Map<PeerName, T>; failures: Map<PeerName, string> }> {
  const results = new Map<PeerName, T>();
  const failures = new Map<PeerName, string>();
  for (const name of names) {
    try {
      results.set(name, await withPeer(name, options, measure));
    } catch (error) {
      const message = (error as Error).message.split('\n')[0] ?? String(error);
      options.log(`${name} failed: ${message}`);
      failures.set(name, message);
    }
  }
  return { results, failures };
}
