import { describe, expect, it } from 'vitest';
import { RequestBudget } from './request-budget.js';

describe('RequestBudget', () => {
  it("refuses a user's request past the budget until earlier ones are answered", () => {
    const budget = new RequestBudget(100);
    const first = budget.take(1000, 60);
    expect(first).not.toBeNull();
    expect(budget.take(1000, 50)).toBeNull();
    // Another user has a budget of its own.
    expect(budget.take(1001, 50)).not.toBeNull();
    first?.();
    first?.();
    expect(budget.heldBy(1000)).toBe(0);
    expect(budget.take(1000, 100)).not.toBeNull();
  });

  it('never refuses root', () => {
    const budget = new RequestBudget(10);
    expect(budget.take(0, 1_000_000)).not.toBeNull();
    expect(budget.heldBy(0)).toBe(0);
  });
});
