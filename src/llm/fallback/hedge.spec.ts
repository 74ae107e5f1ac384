import { FakeClock } from '../../../test/support/fake-clock';
import { RequestAbortedError } from '../llm.errors';
import type { Route } from '../routes';
import { Hedger } from './hedge';

const PRIMARY: Route = { provider: 'gemini', model: 'slow' };

/** A walk that answers `value` when `answer` is called, or rejects when its signal aborts. */
function controllable<T>() {
  const walks: Array<{
    signal?: AbortSignal;
    skip?: Route;
    answer(value: T): void;
    fail(error: unknown): void;
  }> = [];
  const walk = (signal: AbortSignal | undefined, skip: Route | undefined) =>
    new Promise<T>((resolve, reject) => {
      signal?.addEventListener('abort', () => reject(new RequestAbortedError()));
      walks.push({ signal, skip, answer: resolve, fail: reject });
    });
  return { walk, walks };
}

describe('Hedger', () => {
  it('off: one walk, never a second', async () => {
    const hedger = new Hedger({ afterMs: undefined, maxShare: 1 }, new FakeClock());
    const { walk, walks } = controllable<string>();
    const run = hedger.run(walk, undefined, () => PRIMARY);
    walks[0].answer('first');
    await expect(run).resolves.toBe('first');
    expect(walks).toHaveLength(1);
  });

  it('a slow first walk: a second starts without its route; the first answer wins and the other is aborted', async () => {
    const winners: string[] = [];
    const hedger = new Hedger({ afterMs: 200, maxShare: 1 }, new FakeClock(), (w) =>
      winners.push(w),
    );
    const { walk, walks } = controllable<string>();
    const run = hedger.run(walk, undefined, () => PRIMARY);
    await new Promise((resolve) => setImmediate(resolve));
    expect(walks).toHaveLength(2);
    expect(walks[1].skip).toEqual(PRIMARY);
    walks[1].answer('hedge');
    await expect(run).resolves.toBe('hedge');
    expect(walks[0].signal?.aborted).toBe(true);
    expect(winners).toEqual(['hedge']);
  });

  it('neither answers: the first walk’s error; a caller who leaves aborts both', async () => {
    const hedger = new Hedger({ afterMs: 200, maxShare: 1 }, new FakeClock());
    const { walk, walks } = controllable<string>();
    const run = hedger.run(walk, undefined, () => PRIMARY);
    await new Promise((resolve) => setImmediate(resolve));
    walks[1].fail(new Error('second'));
    walks[0].fail(new Error('first'));
    await expect(run).rejects.toThrow('first');

    const caller = new AbortController();
    const left = hedger.run(walk, caller.signal, () => PRIMARY);
    await new Promise((resolve) => setImmediate(resolve));
    caller.abort();
    await expect(left).rejects.toBeInstanceOf(RequestAbortedError);
    expect(walks.slice(2).every((w) => w.signal?.aborted)).toBe(true);
  });

  it('at most maxShare of requests are hedged', async () => {
    const hedger = new Hedger({ afterMs: 200, maxShare: 0.05 }, new FakeClock());
    const { walk, walks } = controllable<string>();
    let hedges = 0;
    for (let i = 0; i < 40; i += 1) {
      const before = walks.length;
      const run = hedger.run(walk, undefined, () => PRIMARY);
      await new Promise((resolve) => setImmediate(resolve));
      hedges += walks.length - before - 1;
      walks[before].answer('first');
      await run;
    }
    expect(hedges).toBe(2);
  });
});
