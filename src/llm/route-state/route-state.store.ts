import { FailureKind } from '../llm.errors';
import { Circuit } from './circuit';

export type StickyReason = FailureKind | 'recovered' | 'reset';

/** Where a chain's traffic starts. */
export interface StickyPointer {
  index: number;
  /** Epoch milliseconds of the last move; undefined while it has never moved. */
  since: number | undefined;
  reason: StickyReason | undefined;
}

export interface RouteCounts {
  successes: number;
  availabilityFailures: number;
  rateLimits: number;
  badOutputs: number;
  otherFailures: number;
}

/** The fields of `RouteCounts`, for code that adds or compares counts field by field. */
export const COUNT_FIELDS: ReadonlyArray<keyof RouteCounts> = [
  'successes',
  'availabilityFailures',
  'rateLimits',
  'badOutputs',
  'otherFailures',
];

export const zeroCounts = (): RouteCounts => ({
  successes: 0,
  availabilityFailures: 0,
  rateLimits: 0,
  badOutputs: 0,
  otherFailures: 0,
});

/** Everything known about one route of a chain, as plain data. */
export interface RouteRecord {
  circuit: Circuit;
  lastProbe: { at: number; ok: boolean; outcome: string } | undefined;
  /** Set when the provider rejected the key (401/403); the route is left out of every plan until a reprobe passes. */
  disabledReason: string | undefined;
  /** Epoch milliseconds when the route was disabled. */
  disabledAt?: number;
  /** Output failures (truncated, invalid) in a row on user attempts. */
  consecutiveOutputFailures?: number;
  counts: RouteCounts;
}

/** The whole routing state of one chain: the sticky pointer and one record per route, in chain order. */
export interface ChainRecord {
  sticky: StickyPointer;
  routes: RouteRecord[];
}

/** Whether routing state is this process's own, shared with the other replicas, or shared but cut off for now. */
export interface SharedStateStatus {
  /** `local`: no shared store configured; `shared`: in sync; `degraded`: the shared store is unreachable. */
  mode: 'local' | 'shared' | 'degraded';
  /** The shared store, when there is one (host and port only). */
  backend?: string;
  /** When the mode last changed (ISO 8601); absent while it never has. */
  since?: string;
}

/**
 * Where routing state lives. The call path reads and writes a local copy (no I/O per LLM call); a store that
 * shares state between replicas publishes each `changed` record and updates its local copies from the others.
 */
export interface RouteStateStore {
  /** The record of a chain (by its key), created from `initial` on first use. */
  open(chainKey: string, initial: () => ChainRecord): ChainRecord;
  /** The record was changed in place; a shared store propagates it. */
  changed(chainKey: string, record: ChainRecord): void;
  /** The chain is no longer tracked here. */
  forget(chainKey: string): void;
  /** For /health/llm and the metrics. */
  status(): SharedStateStatus;
  /**
   * A shared store calls `listener` with the key of a chain another replica changed and this one has not opened
   * (a per-request chain used elsewhere), so that this replica tracks it too: its probes then cover that chain when
   * it holds the probe lease.
   */
  onRemoteChain?(listener: (chainKey: string) => void): void;
}

/** Today's state: in this process only. */
export class InMemoryRouteStateStore implements RouteStateStore {
  private readonly records = new Map<string, ChainRecord>();

  open(chainKey: string, initial: () => ChainRecord): ChainRecord {
    let record = this.records.get(chainKey);
    if (!record) {
      record = initial();
      this.records.set(chainKey, record);
    }
    return record;
  }

  changed(): void {
    // The record was changed in place; nothing else holds a copy.
  }

  forget(chainKey: string): void {
    this.records.delete(chainKey);
  }

  status(): SharedStateStatus {
    return { mode: 'local' };
  }
}

/** Injection token of the store (the in-memory one unless the module is given another). */
export const ROUTE_STATE_STORE = Symbol('ROUTE_STATE_STORE');
