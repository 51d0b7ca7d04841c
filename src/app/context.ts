/** What every use case needs: storage, the clock, and a way to tell the scheduler a deadline moved. */
import type { Store } from '../storage/store.js';
import type { Clock } from './clock.js';

export interface AppContext {
  store: Store;
  clock: Clock;
  /** Called after a write that may have set an earlier deadline, so a sleeping scheduler wakes in time. */
  deadlineChanged: (deadline: Date | null) => void;
  /** Called after a write that stored flips, which may have queued notifications. */
  flipped: () => void;
}

/** The caller's project and rights, established from its API key. */
export interface Principal {
  projectId: string;
  keyId: string;
  readOnly: boolean;
}
