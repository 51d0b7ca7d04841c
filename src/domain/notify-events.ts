/** Which notification events a state change raises. Pure: the store calls it inside the flip's transaction. */
import type { Flip } from './monitor.js';

export type FlipEvent = 'on_down' | 'on_recovery' | 'on_late' | 'on_degraded' | 'on_fail';

/**
 * A flip into `down` raises `on_down` (and `on_fail` when a failure ping caused it); out of `down` or
 * `degraded` into a running or healthy state `on_recovery` (so an incident opened by `on_degraded` is
 * resolved too); into `late` or `degraded` their own events. Flips into or out of
 * `paused` raise nothing, except a pause that ends while the job is still failing (paused → down); nor does a
 * manual reset (an `ok` ping).
 */
export function eventsOfFlip(flip: Pick<Flip, 'from' | 'to' | 'notify'>, downReason: string | null): FlipEvent[] {
  if (flip.notify === false) return [];
  if (flip.to === 'down') return downReason === 'failed' ? ['on_down', 'on_fail'] : ['on_down'];
  if ((flip.from === 'down' || flip.from === 'degraded') && (flip.to === 'up' || flip.to === 'running')) return ['on_recovery'];
  // It works again, if not as expected: the down incident ends, and the degraded one begins.
  if (flip.from === 'down' && flip.to === 'degraded') return ['on_recovery', 'on_degraded'];
  if (flip.to === 'late') return ['on_late'];
  if (flip.to === 'degraded') return ['on_degraded'];
  return [];
}
