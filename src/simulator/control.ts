import { parseBehaviour, InvalidScriptError } from './fault-script';
import type { Behaviour } from './fault-script';

/** What the control API can do to a simulator. */
export interface Controllable {
  latencyMs: number;
  reset(): void;
  script(route: string, ...behaviours: Behaviour[]): unknown;
  always(route: string, behaviour: Behaviour): unknown;
  attemptLog(): unknown;
  attemptCounts(): Record<string, number>;
}

const ROUTE = /^[a-z][a-z0-9-]{0,31}:[A-Za-z0-9][A-Za-z0-9._\-/@:]{0,127}$/;
/** The most behaviours one script call may queue. */
const MOST_BEHAVIOURS = 1_000;

export interface ControlAnswer {
  status: number;
  body: unknown;
}

/**
 * The simulator's control API (`/__simulator/*`): script faults, read the attempt log and the per-route counts,
 * reset, set the latency. Every body is checked: a malformed one is a 400 naming what is wrong, never applied.
 */
export function control(
  simulator: Controllable,
  method: string,
  path: string,
  raw: string,
): ControlAnswer {
  let body: Record<string, unknown> = {};
  if (raw) {
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        return { status: 400, body: { error: 'the body must be a JSON object' } };
      body = parsed as Record<string, unknown>;
    } catch {
      return { status: 400, body: { error: 'the body is not valid JSON' } };
    }
  }
  if (method === 'GET' && path === '/__simulator/attempts')
    return { status: 200, body: simulator.attemptLog() };
  if (method === 'GET' && path === '/__simulator/counts')
    return { status: 200, body: simulator.attemptCounts() };
  if (method === 'POST' && path === '/__simulator/reset') {
    simulator.reset();
    return { status: 200, body: { ok: true } };
  }
  if (method === 'POST' && path === '/__simulator/latency') {
    const ms = body.ms;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0 || ms > 600_000)
      return { status: 400, body: { error: 'ms must be a number from 0 to 600000' } };
    simulator.latencyMs = ms;
    return { status: 200, body: { ok: true } };
  }
  if (method === 'POST' && path === '/__simulator/script') {
    try {
      const route = body.route;
      if (typeof route !== 'string' || !ROUTE.test(route))
        throw new InvalidScriptError('route must be provider:model');
      const behaviours = body.behaviours;
      if (
        behaviours !== undefined &&
        (!Array.isArray(behaviours) || behaviours.length > MOST_BEHAVIOURS)
      )
        throw new InvalidScriptError(`behaviours must be a list of at most ${MOST_BEHAVIOURS}`);
      if (behaviours === undefined && body.always === undefined)
        throw new InvalidScriptError('a script needs behaviours or always');
      const queued = (behaviours ?? []).map((item, index) =>
        parseBehaviour(item, `behaviours[${index}]`),
      );
      const always = body.always === undefined ? undefined : parseBehaviour(body.always, 'always');
      if (queued.length > 0) simulator.script(route, ...queued);
      if (always) simulator.always(route, always);
      return { status: 200, body: { ok: true } };
    } catch (error) {
      if (!(error instanceof InvalidScriptError)) throw error;
      return { status: 400, body: { error: error.message } };
    }
  }
  return { status: 404, body: { error: 'unknown control path' } };
}
