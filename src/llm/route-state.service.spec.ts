import { RouteStateService } from './route-state.service';
import { parseRouteList, routeId } from './routes';

const chain = parseRouteList('gemini:primary,gemini:second,openai:third');

describe(RouteStateService.name, () => {
  let state: RouteStateService;
  beforeEach(() => {
    state = new RouteStateService(chain, { circuitFailureThreshold: 3 });
  });

  it('starts at the primary and plans the whole chain in order', () => {
    const plan = state.plan();
    expect(plan.startIndex).toBe(0);
    expect(plan.routes.map(({ route }) => routeId(route))).toEqual([
      'gemini:primary',
      'gemini:second',
      'openai:third',
    ]);
    expect(state.sticky()).toMatchObject({ index: 0, since: undefined });
  });

  it('sticks to the route a fallback succeeded on, with the time and the reason', () => {
    state.recordSuccess(state.plan(), 2, 'overloaded');
    const sticky = state.sticky();
    expect(routeId(sticky.route)).toBe('openai:third');
    expect(sticky.reason).toBe('overloaded');
    expect(sticky.since).toBeInstanceOf(Date);
    expect(state.plan().routes.map(({ index }) => index)).toEqual([2, 0, 1]);
  });

  it('ignores a success planned before another request moved the sticky route', () => {
    const stale = state.plan();
    state.recordSuccess(state.plan(), 2, 'overloaded');
    state.recordSuccess(stale, 1, 'timeout');
    expect(state.sticky().index).toBe(2);
  });

  it('a success at the start route changes nothing', () => {
    state.recordSuccess(state.plan(), 0, undefined);
    expect(state.sticky()).toMatchObject({ index: 0, since: undefined });
  });

  it('moves back to the primary when a wrapped-around request succeeds there', () => {
    state.recordSuccess(state.plan(), 2, 'overloaded');
    state.recordSuccess(state.plan(), 0, 'overloaded');
    expect(state.sticky()).toMatchObject({ index: 0, reason: 'recovered' });
  });

  it('reset() moves traffic back to the primary', () => {
    state.recordSuccess(state.plan(), 1, 'timeout');
    state.reset();
    expect(state.sticky()).toMatchObject({ index: 0, reason: 'reset' });
  });

  it('leaves disabled routes out of every plan, for good', () => {
    state.disable(chain[0], 'auth (401)');
    state.disable(chain[0], 'auth (401)');
    expect(state.plan().routes.map(({ index }) => index)).toEqual([1, 2]);
    state.reset();
    expect(state.isDisabled(chain[0])).toBe(true);
    expect(state.disabledReason(chain[0])).toBe('auth (401)');
  });
});
