/** When to retry a transient delivery failure: quickly at first, then less often, for up to a day. */
const STEPS_SECONDS = [5, 15, 60, 300, 900, 1800, 3600];
export const GIVE_UP_AFTER_MS = 24 * 3600 * 1000;

/** The retry instant after `attempts` failed attempts, or null once the notification is older than a day. */
export function retryAt(attempts: number, createdAt: Date, now: Date): Date | null {
  const step = STEPS_SECONDS[Math.min(attempts, STEPS_SECONDS.length) - 1] ?? STEPS_SECONDS[0]!;
  const at = new Date(now.getTime() + step * 1000);
  return at.getTime() - createdAt.getTime() > GIVE_UP_AFTER_MS ? null : at;
}
