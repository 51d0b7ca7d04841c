/** What a received ping means for its monitor: the event it is, and the transition it causes. */
import type { Monitor } from './monitor.js';
import type { PingInput } from './ping.js';
import { timingOf } from './timing.js';
import { applyEvent, type MonitorEvent, type Transition } from './transitions.js';

export function eventOfPing(ping: Pick<PingInput, 'kind' | 'exitCode'>): MonitorEvent {
  switch (ping.kind) {
    case 'success':
      return { type: 'success' };
    case 'start':
      return { type: 'start' };
    case 'fail':
      return { type: 'fail', exitCode: ping.exitCode };
    case 'log':
      return { type: 'log' };
  }
}

/** Deterministic: the same monitor and ping always give the same transition, so stored pings can be replayed. */
export function decidePing(monitor: Monitor, ping: Pick<PingInput, 'kind' | 'exitCode' | 'receivedAt'>): Transition {
  return applyEvent(monitor, eventOfPing(ping), ping.receivedAt, timingOf(monitor));
}
