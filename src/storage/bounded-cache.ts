/**
 * The stores' in-memory monitor caches (parsed rows, monitors held for deciding pings) keep at most a fixed
 * number of entries: the least recently written one goes first, so memory stays bounded with very many monitors.
 */
export function keepNewest<K, V>(cache: Map<K, V>, key: K, value: V, max: number): void {
  cache.delete(key); // re-inserted last: Map order is write order, so the first key is the oldest
  cache.set(key, value);
  if (cache.size > max) cache.delete(cache.keys().next().value as K);
}
