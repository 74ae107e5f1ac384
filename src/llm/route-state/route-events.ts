import { trace } from '@opentelemetry/api';

/** What changed in the routing of a chain, for the status page's timeline, logs and trace events. */
export type RouteEventType =
  | 'switched' // the sticky route moved to a fallback
  | 'recovered' // traffic moved back to an earlier route
  | 'opened' // a circuit opened
  | 'closed' // a circuit closed
  | 'disabled' // a key was rejected
  | 're_enabled'; // a rejected key works again

export interface RouteEvent {
  at: string;
  type: RouteEventType;
  /** `provider:model` the event is about (for switches and recoveries: where traffic went). */
  route: string;
  from?: string;
  reason?: string;
  /** The chain (`provider:model,…`) whose state changed. */
  chain: string;
}

const CAPACITY = 200;

/**
 * The recent routing events of the process, newest last (a bounded ring): the status page shows them as a timeline.
 * Each event is also added to the active trace span (a request's, or a probe round's).
 */
export class RouteEventLog {
  private readonly events: RouteEvent[] = [];

  record(event: Omit<RouteEvent, 'at'>, at: Date): void {
    this.events.push({ at: at.toISOString(), ...event });
    if (this.events.length > CAPACITY) this.events.shift();
    trace.getActiveSpan()?.addEvent(`llm.${event.type}`, {
      'llm.route': event.route,
      ...(event.from ? { 'llm.from': event.from } : {}),
      ...(event.reason ? { 'llm.reason': event.reason } : {}),
    });
  }

  recent(limit = 50): RouteEvent[] {
    return this.events.slice(-limit).reverse();
  }
}

export const ROUTE_EVENT_LOG = Symbol('ROUTE_EVENT_LOG');
