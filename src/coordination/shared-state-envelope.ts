import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ChainStateMessage, SharedChainState } from './shared-route-state.store';

/** Why a shared-state message or stored value was not applied. */
export type RejectionReason = 'signature' | 'shape';

export class RejectedStateError extends Error {
  constructor(readonly reason: RejectionReason) {
    super(`shared state rejected (${reason})`);
  }
}

/** Bytes of a shared-state message at most (a chain of up to 64 routes is far below it). */
const MAX_MESSAGE_BYTES = 64 * 1024;
const MAX_ROUTES = 64;
const CIRCUIT_STATES = new Set(['closed', 'open', 'half_open']);
const STICKY_REASONS = new Set([
  'recovered',
  'reset',
  'overloaded',
  'rate_limited',
  'server_error',
  'timeout',
  'network',
  'auth',
  'bad_request',
  'context_length',
  'content_blocked',
  'truncated',
  'invalid_output',
]);

/**
 * Shared state on the wire: the payload as JSON with an HMAC-SHA256 under REDIS_SHARED_SECRET. Only replicas that
 * hold the secret can write state the others apply; anyone else with access to Redis can at most be ignored.
 */
export class SharedStateEnvelope {
  constructor(private readonly secret: string) {}

  seal(payload: unknown): string {
    const body = JSON.stringify(payload);
    return JSON.stringify({ body, mac: this.mac(body) });
  }

  /** The payload of a sealed value; throws RejectedStateError for one that is malformed or not signed by us. */
  open(raw: string): unknown {
    if (raw.length > MAX_MESSAGE_BYTES) throw new RejectedStateError('shape');
    let envelope: { body?: unknown; mac?: unknown };
    try {
      envelope = JSON.parse(raw) as { body?: unknown; mac?: unknown };
    } catch {
      throw new RejectedStateError('shape');
    }
    if (typeof envelope?.body !== 'string' || typeof envelope.mac !== 'string')
      throw new RejectedStateError('signature');
    const expected = Buffer.from(this.mac(envelope.body), 'hex');
    const given = Buffer.from(envelope.mac, 'hex');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new RejectedStateError('signature');
    try {
      return JSON.parse(envelope.body);
    } catch {
      throw new RejectedStateError('shape');
    }
  }

  private mac(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('hex');
  }
}

const isCount = (value: unknown) =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 1e12;
const isTime = (value: unknown) =>
  value === undefined || (typeof value === 'number' && Number.isFinite(value) && value >= 0);
const isShortText = (value: unknown, max = 200) => typeof value === 'string' && value.length <= max;

/** A chain state as it may be applied: every field of a known kind, indices inside the chain. Throws otherwise. */
export function checkedChainState(value: unknown, routes?: number): SharedChainState {
  const state = value as SharedChainState | undefined;
  const list = state?.routes;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_ROUTES)
    throw new RejectedStateError('shape');
  if (routes !== undefined && list.length !== routes) throw new RejectedStateError('shape');
  const sticky = state?.sticky;
  if (
    !sticky ||
    !Number.isInteger(sticky.index) ||
    sticky.index < 0 ||
    sticky.index >= list.length ||
    !isTime(sticky.since) ||
    !(sticky.reason === undefined || STICKY_REASONS.has(sticky.reason))
  )
    throw new RejectedStateError('shape');
  for (const route of list) {
    const circuit = route?.circuit;
    const probe = route?.lastProbe;
    const valid =
      circuit !== undefined &&
      CIRCUIT_STATES.has(circuit.state) &&
      isCount(circuit.consecutiveFailures) &&
      isCount(circuit.consecutiveProbeSuccesses) &&
      isTime(circuit.openedAt) &&
      (probe === undefined ||
        (isTime(probe.at) && typeof probe.ok === 'boolean' && isShortText(probe.outcome, 64))) &&
      (route.disabledReason === undefined || isShortText(route.disabledReason)) &&
      isTime(route.disabledAt) &&
      (route.consecutiveOutputFailures === undefined || isCount(route.consecutiveOutputFailures));
    if (!valid) throw new RejectedStateError('shape');
  }
  return state;
}

/** A replica's announcement as it may be applied (its state checked as above). Throws RejectedStateError. */
export function checkedMessage(value: unknown): ChainStateMessage {
  const message = value as ChainStateMessage | undefined;
  if (!isShortText(message?.origin, 64) || !isShortText(message?.chain, 8_192))
    throw new RejectedStateError('shape');
  checkedChainState(message!.state);
  return message!;
}
