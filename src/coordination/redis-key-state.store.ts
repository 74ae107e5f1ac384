import type { KeyChange, KeyStateStore } from '../llm';
import { PROVIDER_ID } from '../llm';
import { RedisConnection } from './redis-connection';
import { RejectedStateError, RejectionReason, SharedStateEnvelope } from './shared-state-envelope';

interface KeyMessage {
  origin: string;
  provider: string;
  key: string;
  change: KeyChange;
}

const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** An instant further than this from now is not one a replica would send. */
const MAX_SKEW_MS = 86_400_000;
const TIMES = ['coolingUntil', 'exhaustedUntil', 'disabledUntil'] as const;

/**
 * Provider keys' state shared over Redis pub/sub: a key's cooldown, exhausted quota or rejection, sealed with the
 * shared secret (HMAC) like route state, checked (a known provider, a key name, instants near now) before it is
 * applied; anything else is dropped and counted. A replica that starts later learns a key's state from its own
 * calls (a cooldown lasts seconds; a quota window, the headers of its next answer).
 */
export class RedisKeyStateStore implements KeyStateStore {
  private readonly channel: string;

  constructor(
    private readonly redis: RedisConnection,
    private readonly envelope: SharedStateEnvelope,
    private readonly rejected: (reason: RejectionReason) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.channel = redis.key('key-state');
  }

  publish(provider: string, key: string, change: KeyChange): void {
    const message: KeyMessage = { origin: this.redis.podId, provider, key, change };
    this.redis.client?.publish(this.channel, this.envelope.seal(message)).catch(() => undefined);
  }

  onChange(listener: (provider: string, key: string, change: KeyChange) => void): void {
    this.redis.subscribe(this.channel, (raw) => {
      let message: KeyMessage;
      try {
        message = this.checked(this.envelope.open(raw));
      } catch (error) {
        if (!(error instanceof RejectedStateError)) throw error;
        this.rejected(error.reason);
        return;
      }
      if (message.origin !== this.redis.podId)
        listener(message.provider, message.key, message.change);
    });
  }

  private checked(value: unknown): KeyMessage {
    const message = value as Partial<KeyMessage> | null;
    const change = message?.change as Record<string, unknown> | undefined;
    const now = this.now();
    const valid =
      typeof message?.origin === 'string' &&
      typeof message.provider === 'string' &&
      PROVIDER_ID.test(message.provider) &&
      typeof message.key === 'string' &&
      KEY_NAME.test(message.key) &&
      typeof change === 'object' &&
      change !== null &&
      Object.keys(change).every((field) => [...TIMES, 'reason'].includes(field)) &&
      TIMES.every(
        (field) =>
          change[field] === undefined ||
          (typeof change[field] === 'number' && Math.abs(change[field] - now) <= MAX_SKEW_MS),
      ) &&
      (change.reason === undefined ||
        (typeof change.reason === 'string' && change.reason.length <= 200));
    if (!valid) throw new RejectedStateError('shape');
    return message as KeyMessage;
  }
}
