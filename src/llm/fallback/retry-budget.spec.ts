import { RetryBudget, WindowedRetryCounts } from './retry-budget';

describe('RetryBudget', () => {
  let now = 1_700_000_000_000;
  const counts = () => new WindowedRetryCounts(() => now);

  it('a first call always goes; calls after it within the floor, then within the ratio of first calls', () => {
    const budget = new RetryBudget({ ratio: 0.2, minPerWindow: 2 }, counts());
    expect([
      budget.tryExtra('openai'),
      budget.tryExtra('openai'),
      budget.tryExtra('openai'),
    ]).toEqual([true, true, false]);
    for (let i = 0; i < 50; i += 1) budget.first('openai');
    // 20 % of 50 first calls: 10 in the window, two of which are spent.
    const granted = Array.from({ length: 20 }, () => budget.tryExtra('openai')).filter(Boolean);
    expect(granted).toHaveLength(8);
    // Per provider: another provider's budget is untouched.
    expect(budget.tryExtra('anthropic')).toBe(true);
  });

  it('counts leave the window after ten seconds, so the budget refills', () => {
    const budget = new RetryBudget({ ratio: 0.2, minPerWindow: 1 }, counts());
    expect(budget.tryExtra('gemini')).toBe(true);
    expect(budget.tryExtra('gemini')).toBe(false);
    now += 9_000;
    expect(budget.tryExtra('gemini')).toBe(false);
    now += 1_000;
    expect(budget.tryExtra('gemini')).toBe(true);
  });

  it('a ratio of 0 with no floor allows no call after the first', () => {
    const budget = new RetryBudget({ ratio: 0, minPerWindow: 0 }, counts());
    budget.first('openai');
    expect(budget.tryExtra('openai')).toBe(false);
  });

  it('drain hands over every bucket and empties the counts', () => {
    const windowed = counts();
    windowed.add('openai', 'first', 3);
    windowed.add('openai', 'extra');
    expect(windowed.drain()).toEqual([
      { provider: 'openai', second: Math.floor(now / 1000), counts: { first: 3, extra: 1 } },
    ]);
    expect(windowed.counts('openai')).toEqual({ first: 0, extra: 0 });
  });
});
