/**
 * What one replica learned about one provider key, for the others: until when it cools (its 429), is exhausted (its
 * rate-limit headers) or is disabled (a 401/403), as epoch milliseconds. Absent fields say nothing new.
 */
export interface KeyChange {
  coolingUntil?: number;
  exhaustedUntil?: number;
  disabledUntil?: number;
  /** Why a key is disabled (`rejected (401)`). */
  reason?: string;
}

/**
 * Where key state is shared between replicas (Redis when REDIS_URL is set): a change made here goes out, changes
 * made elsewhere come in. Without one, each replica's keys learn on their own.
 */
export interface KeyStateStore {
  publish(provider: string, key: string, change: KeyChange): void;
  onChange(listener: (provider: string, key: string, change: KeyChange) => void): void;
}
