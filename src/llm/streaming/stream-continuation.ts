import { ProviderError } from '../llm.errors';
import { failureFamily } from '../fallback/failure-policy';
import { ProviderRequest, StreamContinuation, StreamEvent } from '../llm.types';
import { CommittedStream, continueStream, StreamContext } from './stream-session';
import { Route, routeId } from '../routes';

export type { ContinuationMethod, StreamContinuation } from '../llm.types';
import type { ContinuationMethod } from '../llm.types';

export const CONTINUE_INSTRUCTION =
  'Your previous answer was cut off. Continue it exactly from where it stopped: do not repeat anything already ' +
  'written, do not add an introduction, a summary or any comment; the next character you write follows directly.';

/**
 * The request that asks a route to continue `partial`. With a prefill the partial answer is the last (assistant)
 * message, which the model extends; with an instruction it is followed by a user message asking to go on. Either
 * way the answer is plain text: the caller's format applies to the stitched whole, not to the rest alone.
 */
export function continuationRequest(
  request: Omit<ProviderRequest, 'model'>,
  partial: string,
  method: ContinuationMethod,
): Omit<ProviderRequest, 'model'> {
  const messages = [
    ...request.messages,
    // Providers that take a prefill reject one ending with whitespace; the stitch puts the whitespace back.
    { role: 'assistant' as const, content: method === 'prefill' ? partial.trimEnd() : partial },
    ...(method === 'instruction' ? [{ role: 'user' as const, content: CONTINUE_INSTRUCTION }] : []),
  ];
  return { ...request, messages, responseFormat: { type: 'text' } };
}

/**
 * Which routes take an assistant prefill: Gemini (a final `model` turn) and older Claude models do; OpenAI has no
 * prefill, and newer Claude models (Sonnet/Opus 4.6 and later) reject it with a 400. A route that rejects one it
 * was believed to take is remembered, and gets the instruction from then on.
 */
export class PrefillSupport {
  private readonly rejecting = new Set<string>();

  accepts(route: Route): boolean {
    if (this.rejecting.has(routeId(route))) return false;
    switch (route.provider) {
      case 'openai':
        return false;
      case 'gemini':
        return true;
      case 'anthropic': {
        const version = /claude-(?:opus|sonnet)-(\d+)-(\d+)/.exec(route.model);
        return version === null || Number(version[1]) * 100 + Number(version[2]) < 406;
      }
    }
  }

  rejected(route: Route): void {
    this.rejecting.add(routeId(route));
  }
}

/** The longest overlap looked for between the end of the partial answer and the start of its continuation. */
export const OVERLAP_WINDOW = 200;

/**
 * The continuation without the part that repeats the end of `partial` (models told to go on often restate their last
 * words). Only overlaps of at least a few characters count, so that a continuation legitimately starting with the
 * same letter as the partial answer ends is left alone.
 */
export function trimOverlap(partial: string, continuation: string): string {
  const longest = Math.min(OVERLAP_WINDOW, partial.length, continuation.length);
  for (let length = longest; length >= 4; length -= 1)
    if (partial.endsWith(continuation.slice(0, length))) return continuation.slice(length);
  return continuation;
}

/** Whether a stream that failed after content was sent may go on elsewhere: the route failed, not the request. */
export function continuable(error: ProviderError): boolean {
  switch (failureFamily(error.kind)) {
    case 'availability':
      return true;
    case 'output':
      // A cut stream or a broken event, yes; a length finish is the limit the caller set, not a failure to mend.
      return error.kind === 'invalid_output' || error.cutShort;
    case 'request':
    case 'auth':
      return false;
  }
}

/** A continuation opened on another route: the committed stream and how it was asked to go on. */
export interface Reopened {
  stream: CommittedStream;
  method: ContinuationMethod;
}

/**
 * A stream that survives its route: when the route fails after content was sent (cut, stall, error or overload
 * mid-stream), `reopen` continues it on the next route with the text sent so far, and the caller keeps receiving
 * one answer, stitched without the repeated overlap. The last event lists the hand-overs. At most `maxContinuations`
 * of them (the chain's length); a failure that is the request's own, or a length finish, ends the stream as before.
 * The request's outcome metric is recorded here, once.
 */
export async function* continuingStream(
  first: CommittedStream,
  context: StreamContext,
  reopen: (partial: string, failedRoute: Route, error: ProviderError) => Promise<Reopened>,
  maxContinuations: number,
): AsyncIterable<StreamEvent> {
  const { metrics, clock } = context;
  const segmentContext: StreamContext = { ...context, recordRequest: false };
  const continuations: StreamContinuation[] = [];
  let segment = first;
  let sent = '';
  /** While a continuation's first text is gathered to trim the overlap: the answer as it stood at the hand-over. */
  let stitchAfter: string | undefined;
  let gathered = '';
  let outcome: 'success' | 'failed' | 'client_aborted' = 'client_aborted';
  const release = (): string => {
    const text = stitchAfter === undefined ? gathered : trimOverlap(stitchAfter, gathered);
    stitchAfter = undefined;
    gathered = '';
    sent += text;
    return text;
  };
  try {
    for (;;) {
      try {
        for await (const event of continueStream(segment, segmentContext)) {
          if (event.type === 'text') {
            if (stitchAfter === undefined) {
              sent += event.text;
              yield event;
              continue;
            }
            gathered += event.text;
            if (gathered.length < OVERLAP_WINDOW) continue;
            const text = release();
            if (text.length > 0) yield { type: 'text', text };
            continue;
          }
          if (event.type === 'tool_call') {
            yield event;
            continue;
          }
          if (stitchAfter !== undefined) {
            const text = release();
            if (text.length > 0) yield { type: 'text', text };
          }
          outcome = 'success';
          yield continuations.length > 0 ? { ...event, continuations } : event;
          return;
        }
        outcome = 'success';
        return;
      } catch (error) {
        if (!(error instanceof ProviderError) || !continuable(error)) throw error;
        if (continuations.length >= maxContinuations) throw error;
        if (stitchAfter !== undefined) {
          const text = release();
          if (text.length > 0) yield { type: 'text', text };
        }
        const reopened = await reopen(sent, segment.route, error);
        continuations.push({
          from: routeId(segment.route),
          to: routeId(reopened.stream.route),
          reason: error.kind,
          method: reopened.method,
        });
        metrics.continuation(segment.route, reopened.stream.route, error.kind, reopened.method);
        context.logger.warn(
          `Continuing a stream cut on ${routeId(segment.route)} (${error.kind}) on ${routeId(reopened.stream.route)} by ${reopened.method}, after ${sent.length} characters`,
        );
        segment = reopened.stream;
        stitchAfter = sent;
        gathered = '';
      }
    }
  } catch (error) {
    outcome = 'failed';
    throw error;
  } finally {
    metrics.request(outcome, clock.now() - first.started);
  }
}
