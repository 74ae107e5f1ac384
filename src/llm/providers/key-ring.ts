import { createHash } from 'node:crypto';
import type { KeyStatus, ProviderKeys } from '../llm.types';
import type { KeyChange } from './key-state';

/** One of a provider's keys: its name (what logs, metrics and status pages show) and its value (the SDK's only). */
export interface NamedKey {
  name: string;
  key: string;
}

/** What a provider's rate-limit headers said about one key after a call. */
export interface Quota {
  /** Requests (or tokens, whichever is scarcer) the key has left in its window, when the provider says. */
  remaining?: number;
  /** When the key is out (`remaining` 0): milliseconds until the window resets. */
  resetMs?: number;
}

export type KeyState = KeyStatus['state'];

/** A key cooled by a 429 without Retry-After rests this long. */
const DEFAULT_COOLDOWN_MS = 5_000;
/** Even a 429 with `Retry-After: 0` rests the key this long (no request retries one key in a tight loop). */
const MIN_COOLDOWN_MS = 1_000;
/** A key the provider rejected (401/403) is tried again after this (an operator may have fixed it). */
const DISABLED_MS = 5 * 60_000;

interface Slot {
  name: string;
  coolingUntil: number;
  exhaustedUntil: number;
  disabledUntil: number;
  disabledReason?: string;
  remaining?: number;
  limitedAt: number;
  uses: number;
}

/**
 * The keys of one provider and what is known of each: cooling after its own 429 (for its Retry-After), disabled after
 * a 401/403, exhausted when its rate-limit headers said nothing is left (until their reset). `pick` chooses among the
 * usable keys: with an affinity (a prompt prefix, an explicit cache key), the same key while it stays usable
 * (rendezvous hashing), so the provider's prompt cache stays warm; without, the one with most left, least recently
 * limited, least used. A provider with one key keeps today's behaviour: its 429s and 401s are the route's business
 * (Retry-After, disabling the route); only an exhausted quota holds it back.
 */
export class KeyRing implements ProviderKeys {
  private readonly slots: Slot[];
  /** Told of every change made here (a shared store sends it to the other replicas). */
  private changed: (name: string, change: KeyChange) => void = () => undefined;

  constructor(
    names: readonly string[],
    private readonly now: () => number = Date.now,
  ) {
    this.slots = names.map((name) => ({
      name,
      coolingUntil: 0,
      exhaustedUntil: 0,
      disabledUntil: 0,
      limitedAt: 0,
      uses: 0,
    }));
  }

  get size(): number {
    return this.slots.length;
  }

  /** The key to use for a call, or undefined when none is usable now. */
  pick(affinity?: string): string | undefined {
    const ready = this.ready();
    if (ready.length === 0) return undefined;
    let chosen: Slot;
    if (affinity !== undefined && ready.length > 1) {
      chosen = ready.reduce((best, slot) =>
        weight(affinity, slot.name) > weight(affinity, best.name) ? slot : best,
      );
    } else {
      chosen = ready.reduce((best, slot) => (better(slot, best) ? slot : best));
    }
    chosen.uses += 1;
    return chosen.name;
  }

  /** Whether a call could be made now (some key is usable). */
  hasReady(): boolean {
    return this.ready().length > 0;
  }

  /** Milliseconds until some key is usable again (0 when one is now). */
  readyInMs(): number {
    const now = this.now();
    if (this.hasReady()) return 0;
    return Math.max(0, Math.min(...this.slots.map((slot) => this.usableAt(slot) - now)));
  }

  /** The key got a 429: it rests for the provider's Retry-After (or a few seconds). */
  limited(name: string, retryAfterMs: number | undefined): void {
    const slot = this.slot(name);
    if (!slot) return;
    const now = this.now();
    slot.limitedAt = now;
    slot.coolingUntil = now + Math.max(MIN_COOLDOWN_MS, retryAfterMs ?? DEFAULT_COOLDOWN_MS);
    this.changed(name, { coolingUntil: slot.coolingUntil });
  }

  /** The provider rejected the key (401/403). */
  rejected(name: string, reason: string): void {
    const slot = this.slot(name);
    if (!slot) return;
    slot.disabledUntil = this.now() + DISABLED_MS;
    slot.disabledReason = reason;
    this.changed(name, { disabledUntil: slot.disabledUntil, reason });
  }

  /** What a call's rate-limit headers said. */
  observe(name: string, quota: Quota | undefined): void {
    const slot = this.slot(name);
    if (!slot || !quota) return;
    if (quota.remaining !== undefined) slot.remaining = quota.remaining;
    if (quota.remaining === 0 && quota.resetMs !== undefined && quota.resetMs > 0) {
      slot.exhaustedUntil = this.now() + quota.resetMs;
      this.changed(name, { exhaustedUntil: slot.exhaustedUntil });
    }
  }

  /** Sends every change made here to `listener` (one listener: the shared store). */
  onChange(listener: (name: string, change: KeyChange) => void): void {
    this.changed = listener;
  }

  /** A change another replica made: applied (the later instant wins), not sent on. */
  apply(name: string, change: KeyChange): void {
    const slot = this.slot(name);
    if (!slot) return;
    if (change.coolingUntil !== undefined) {
      slot.coolingUntil = Math.max(slot.coolingUntil, change.coolingUntil);
      slot.limitedAt = Math.max(slot.limitedAt, this.now());
    }
    if (change.exhaustedUntil !== undefined) {
      slot.exhaustedUntil = Math.max(slot.exhaustedUntil, change.exhaustedUntil);
      slot.remaining = 0;
    }
    if (change.disabledUntil !== undefined) {
      slot.disabledUntil = Math.max(slot.disabledUntil, change.disabledUntil);
      slot.disabledReason = change.reason ?? slot.disabledReason;
    }
  }

  status(): KeyStatus[] {
    const now = this.now();
    return this.slots.map((slot) => {
      const state = this.stateOf(slot, now);
      const until = state === 'ready' ? undefined : new Date(this.usableAt(slot)).toISOString();
      return {
        name: slot.name,
        state,
        ...(until ? { until } : {}),
        ...(slot.remaining !== undefined ? { remaining: slot.remaining } : {}),
        ...(state === 'disabled' && slot.disabledReason ? { reason: slot.disabledReason } : {}),
      };
    });
  }

  private stateOf(slot: Slot, now: number): KeyState {
    if (this.slots.length > 1) {
      if (slot.disabledUntil > now) return 'disabled';
      if (slot.coolingUntil > now) return 'cooling';
    }
    if (slot.exhaustedUntil > now) return 'exhausted';
    return 'ready';
  }

  private usableAt(slot: Slot): number {
    return this.slots.length > 1
      ? Math.max(slot.coolingUntil, slot.exhaustedUntil, slot.disabledUntil)
      : slot.exhaustedUntil;
  }

  private ready(): Slot[] {
    const now = this.now();
    return this.slots.filter((slot) => this.stateOf(slot, now) === 'ready');
  }

  private slot(name: string): Slot | undefined {
    return this.slots.find((slot) => slot.name === name);
  }
}

/** Most left first (unknown counts as plenty), then least recently limited, then least used. */
function better(a: Slot, b: Slot): boolean {
  const left = (slot: Slot) => slot.remaining ?? Number.POSITIVE_INFINITY;
  if (left(a) !== left(b)) return left(a) > left(b);
  if (a.limitedAt !== b.limitedAt) return a.limitedAt < b.limitedAt;
  return a.uses < b.uses;
}

/** Rendezvous hashing: each (affinity, key) pair's weight; the heaviest usable key wins. */
function weight(affinity: string, name: string): number {
  return createHash('sha256').update(`${affinity}\u0000${name}`).digest().readUInt32BE(0);
}
