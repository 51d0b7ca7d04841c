/**
 * Wake-ups for the background workers. A write that may have set an earlier deadline, or queued notifications,
 * tells the bus; the bus wakes this node's scheduler or notifier at once and, when the store is shared, the
 * other nodes' too (PostgreSQL: LISTEN/NOTIFY, see postgres/wake-bus.ts). Wake-ups are hints, never the only
 * path: every worker also polls (WakeLoop's maxSleepMs), so a lost wake-up costs at most one poll interval.
 */

export interface WakeBus {
  /** A monitor's deadline was (re)set, possibly earlier than the one a scheduler sleeps towards. */
  deadlineChanged(deadline: Date | null): void;
  /** Notifications were queued (possibly due later; the notifier reads when). */
  notificationsQueued(): void;
  /** Called with every deadline announced, by this node or (on a shared store) another one. */
  onDeadline(listener: (deadline: Date) => void): void;
  /** Called whenever notifications were queued, here or on another node. */
  onNotifications(listener: () => void): void;
  close(): Promise<void>;
}

/** The bus of a store used by one process (SQLite): wake-ups stay in this process. */
export class LocalWakeBus implements WakeBus {
  private readonly deadlineListeners: ((deadline: Date) => void)[] = [];
  private readonly notificationListeners: (() => void)[] = [];

  deadlineChanged(deadline: Date | null): void {
    if (deadline !== null) this.wakeDeadline(deadline);
  }

  notificationsQueued(): void {
    this.wakeNotifications();
  }

  onDeadline(listener: (deadline: Date) => void): void {
    this.deadlineListeners.push(listener);
  }

  onNotifications(listener: () => void): void {
    this.notificationListeners.push(listener);
  }

  async close(): Promise<void> {}

  /** Tells this node's listeners only. */
  protected wakeDeadline(deadline: Date): void {
    for (const l of this.deadlineListeners) l(deadline);
  }

  /** Tells this node's listeners only. */
  protected wakeNotifications(): void {
    for (const l of this.notificationListeners) l();
  }
}
