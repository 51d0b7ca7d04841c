/**
 * The monitors a node's ping path has read or written, by ping token, each as of one version. The ping
 * transaction still locks every monitor of its batch, but reads back only `(id, ping_token, version)` and
 * reuses the monitor kept here when both match: parsing the full row (36 columns, JSON, a dozen instants) was
 * the biggest share of the HTTP thread's CPU per ping after the statements themselves.
 *
 * Sound because every write of a monitor row bumps its version (the compare-and-set update, the scheduler's,
 * the ping path's status write): a row whose id and version match is the row kept here, whichever node wrote
 * it last. Only committed states are kept — rows read under the batch's lock, and statuses the ping path wrote
 * once their transaction has committed — so a rolled-back version never matches a later, different row that
 * reuses its number. A migration that rewrites monitor rows must bump their version too.
 */
import type { Monitor } from '../../domain/monitor.js';
import { keepNewest } from '../bounded-cache.js';

/** Monitors kept at most; the least recently used goes first. */
const KNOWN_MAX = 100_000;

export class KnownMonitors {
  private readonly byToken = new Map<string, Monitor>();

  /** The monitor kept for this token if it is the row `(id, version)`, else null. */
  get(token: string, id: string, version: number): Monitor | null {
    const m = this.byToken.get(token);
    return m && m.id === id && m.version === version ? m : null;
  }

  /** Keeps a committed state of a monitor (see above). */
  remember(m: Monitor): void {
    keepNewest(this.byToken, m.pingToken, m, KNOWN_MAX);
  }
}
