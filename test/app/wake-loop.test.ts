import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/app/clock.js';
import { WakeLoop } from '../../src/app/wake-loop.js';
import { silentLogger } from '../../src/runtime/logger.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('worker wake loop', () => {
  it('honours a wake-up that arrives while a pass is running, instead of sleeping through it', async () => {
    const passes: number[] = [];
    const loop: WakeLoop = new WakeLoop({
      name: 't',
      clock: systemClock,
      logger: silentLogger,
      maxSleepMs: 60_000,
      pass: async () => {
        passes.push(Date.now());
        if (passes.length === 1) {
          await sleep(20);
          loop.wake(); // e.g. a ping set an earlier deadline while the scheduler was mid-pass
        }
        return 60_000; // the pass itself found nothing due for a minute
      },
    });
    loop.start();
    await sleep(300);
    await loop.stop();
    assert.equal(passes.length, 2, 'the second pass ran right after the first, not a minute later');
  });

  it('wakes early for an earlier deadline, and not for a later one', async () => {
    let passes = 0;
    const loop = new WakeLoop({ name: 't', clock: systemClock, logger: silentLogger, maxSleepMs: 60_000, pass: async () => (passes++, 60_000) });
    loop.start();
    await sleep(50);
    loop.wake(new Date(Date.now() + 120_000));
    await sleep(50);
    assert.equal(passes, 1);
    loop.wake(new Date(Date.now() + 20));
    await sleep(150);
    assert.equal(passes, 2);
    await loop.stop();
  });

  it('retries a failing pass with backoff instead of crashing', async () => {
    let calls = 0;
    const loop = new WakeLoop({
      name: 't',
      clock: systemClock,
      logger: silentLogger,
      maxSleepMs: 60_000,
      retryMs: 10,
      pass: async () => {
        calls++;
        if (calls < 3) throw new Error('database unavailable');
        return 60_000;
      },
    });
    loop.start();
    await sleep(300);
    await loop.stop();
    assert.equal(calls, 3, 'two failures retried after 10 ms and 20 ms, then healthy');
  });

  it('waits the initial delay before the first pass', async () => {
    let passes = 0;
    const loop = new WakeLoop({ name: 't', clock: systemClock, logger: silentLogger, maxSleepMs: 60_000, pass: async () => (passes++, 60_000) });
    loop.start(200);
    await sleep(50);
    assert.equal(passes, 0);
    await loop.stop();
  });
});
