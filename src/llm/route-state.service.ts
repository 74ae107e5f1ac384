import { Inject, Injectable, Logger } from '@nestjs/common';
import { FailureKind } from './llm.errors';
import { Route, routeId, routeLabel } from './routes';
import { LLM_USABLE_CHAIN } from './llm.tokens';

export interface PlannedRoute {
  route: Route;
  /** Position in the usable chain (0 is the primary). */
  index: number;
}

export interface RoutePlan {
  routes: PlannedRoute[];
  /** The chain position this request started at (the sticky route when it was planned). */
  startIndex: number;
}

export interface StickyState {
  route: Route;
  index: number;
  since: Date | undefined;
  reason: FailureKind | 'recovered' | 'reset' | undefined;
}

/**
 * The single owner of routing state: which route traffic starts at (stickiness) and which routes are disabled.
 * Node runs one callback at a time, so each method is atomic; decisions that raced with a newer switch are
 * recognised by the `startIndex` they were planned from and ignored.
 */
@Injectable()
export class RouteStateService {
  private readonly logger = new Logger(RouteStateService.name);
  private stickyIndex = 0;
  private stickySince: Date | undefined;
  private stickyReason: StickyState['reason'];
  private readonly disabled = new Map<string, string>();

  constructor(@Inject(LLM_USABLE_CHAIN) private readonly chain: readonly Route[]) {}

  get routes(): readonly Route[] {
    return this.chain;
  }

  /** Sticky route first, then the later ones, then the earlier ones as a last resort; disabled routes left out. */
  plan(): RoutePlan {
    const start = this.stickyIndex;
    const order = [...this.chain.keys()].map((offset) => (start + offset) % this.chain.length);
    return {
      startIndex: start,
      routes: order
        .map((index) => ({ route: this.chain[index], index }))
        .filter(({ route }) => !this.isDisabled(route)),
    };
  }

  isDisabled(route: Route): boolean {
    return this.disabled.has(routeId(route));
  }

  /** Disables a route for the life of the process (a rejected key does not fix itself). Logged once. */
  disable(route: Route, reason: string): void {
    const id = routeId(route);
    if (this.disabled.has(id)) return;
    this.disabled.set(id, reason);
    this.logger.error(`Disabled ${routeLabel(route)} for the life of the process: ${reason}`);
  }

  disabledReason(route: Route): string | undefined {
    return this.disabled.get(routeId(route));
  }

  /**
   * A request planned from `startIndex` succeeded at `index`. If it had to move and nothing else moved the sticky
   * route meanwhile, later requests start where this one succeeded.
   */
  recordSuccess(plan: RoutePlan, index: number, firstFailure: FailureKind | undefined): void {
    if (index === plan.startIndex || plan.startIndex !== this.stickyIndex) return;
    const from = this.chain[this.stickyIndex];
    const to = this.chain[index];
    this.stickyIndex = index;
    this.stickySince = new Date();
    this.stickyReason = index === 0 ? 'recovered' : firstFailure;
    this.logger.warn(
      `Switched from ${routeLabel(from)} to ${routeLabel(to)} (${this.stickyReason ?? 'unknown'})`,
    );
  }

  /** Moves traffic back to the primary (or another earlier route) explicitly. */
  reset(index = 0, reason: StickyState['reason'] = 'reset'): void {
    if (index === this.stickyIndex) return;
    this.stickyIndex = index;
    this.stickySince = new Date();
    this.stickyReason = reason;
  }

  sticky(): StickyState {
    return {
      route: this.chain[this.stickyIndex],
      index: this.stickyIndex,
      since: this.stickySince,
      reason: this.stickyReason,
    };
  }
}
