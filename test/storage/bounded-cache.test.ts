import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keepNewest } from '../../src/storage/bounded-cache.js';

describe('bounded monitor caches', () => {
  it('drops the least recently written entry once past the cap, counting a rewrite as recent', () => {
    const cache = new Map<string, number>();
    for (const k of ['a', 'b', 'c']) keepNewest(cache, k, 1, 3);
    keepNewest(cache, 'a', 2, 3); // rewritten: now the newest
    keepNewest(cache, 'd', 1, 3);
    assert.deepEqual([...cache.entries()], [['c', 1], ['a', 2], ['d', 1]]);
  });
});
