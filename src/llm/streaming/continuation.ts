import { failureFamily } from '../fallback/failure-policy';
import { ProviderError } from '../llm.errors';
import { ContinuationMethod, LlmProvider, ProviderRequest } from '../llm.types';
import { Route, routeId } from '../routes';

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
 * Which routes take an assistant prefill: what each provider says of its models (`acceptsPrefill`), less the routes
 * that rejected one anyway (a 400), which are remembered and get the instruction from then on.
 */
export class PrefillMemory {
  private readonly rejecting = new Set<string>();

  accepts(provider: LlmProvider, route: Route): boolean {
    return !this.rejecting.has(routeId(route)) && provider.acceptsPrefill(route.model);
  }

  rejected(route: Route): void {
    this.rejecting.add(routeId(route));
  }
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

/** The shortest repeat of the partial answer's end that counts as an overlap (fewer shared characters are chance). */
const MIN_OVERLAP = 4;
/** How much of a continuation that follows on cleanly is held back before it is trusted (about twenty words). */
const CLEAN_EVIDENCE = 120;
/** Words of each answer's opening compared to recognise a continuation that starts the answer again in other words. */
const OPENING_WORDS = 16;
const PARAPHRASE_SIMILARITY = 0.5;

/** How a continuation was joined to the partial answer. */
export type StitchOutcome = 'clean' | 'overlap' | 'restart' | 'refused';

/** A verdict on a continuation's opening: undecided yet, or how many of its characters repeat the partial answer. */
export type StitchVerdict =
  | { decided: false }
  | { decided: true; outcome: Exclude<StitchOutcome, 'refused'>; drop: number }
  | { decided: true; outcome: 'refused' };

const words = (text: string) =>
  text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((word) => word.length > 0);

/** Whether two openings say much the same thing (a restart in other words), by their shared words. */
function similarOpenings(partial: string, continuation: string): boolean {
  const first = new Set(words(partial).slice(0, OPENING_WORDS));
  const second = new Set(words(continuation).slice(0, OPENING_WORDS));
  if (first.size < OPENING_WORDS / 2 || second.size < OPENING_WORDS / 2) return false;
  let shared = 0;
  for (const word of second) if (first.has(word)) shared += 1;
  return shared / Math.min(first.size, second.size) >= PARAPHRASE_SIMILARITY;
}

/**
 * How the opening `gathered` of a continuation joins the `partial` answer already sent:
 * - a restart: it begins the whole answer again (it starts with `partial`): the repeated part is dropped, however long;
 * - an overlap: it restates the partial answer's last words (it starts with one of its suffixes): those are dropped;
 * - clean: it follows on with new text;
 * - refused: it repeats only part of the opening and then diverges, or says the opening again in other words: no
 *   stitch can be trusted.
 * Undecided while the opening could still turn out to be a restart or a longer overlap, and (unless `final`) while
 * too little of a clean-looking continuation has arrived to rule out a reworded restart.
 */
export function judgeContinuation(
  partial: string,
  gathered: string,
  final: boolean,
): StitchVerdict {
  if (gathered.length === 0)
    return final ? { decided: true, outcome: 'clean', drop: 0 } : { decided: false };
  if (gathered.startsWith(partial))
    return { decided: true, outcome: 'restart', drop: partial.length };
  // Still a possible restart, or a possible overlap longer than what has arrived.
  for (let at = partial.indexOf(gathered); at >= 0; at = partial.indexOf(gathered, at + 1)) {
    if (partial.length - at > gathered.length && !final) return { decided: false };
  }
  for (
    let at = Math.max(0, partial.length - gathered.length);
    at <= partial.length - MIN_OVERLAP;
    at += 1
  ) {
    if (gathered.startsWith(partial.slice(at))) {
      if (at === 0) return { decided: true, outcome: 'restart', drop: partial.length };
      return { decided: true, outcome: 'overlap', drop: partial.length - at };
    }
  }
  if (commonPrefixLength(partial, gathered) >= MIN_OVERLAP * 4)
    return { decided: true, outcome: 'refused' };
  if (gathered.length < CLEAN_EVIDENCE && !final) return { decided: false };
  if (similarOpenings(partial, gathered)) return { decided: true, outcome: 'refused' };
  return { decided: true, outcome: 'clean', drop: 0 };
}

function commonPrefixLength(a: string, b: string): number {
  const limit = Math.min(a.length, b.length);
  let length = 0;
  while (length < limit && a[length] === b[length]) length += 1;
  return length;
}

/**
 * Joins a continuation's text to the answer already sent: holds the opening back until `judgeContinuation`
 * decides, then passes text through. `add` and `finish` answer the text to send now (possibly empty).
 */
export class Stitcher {
  private gathered = '';
  private verdict: StitchVerdict = { decided: false };

  constructor(private readonly partial: string) {}

  get outcome(): StitchOutcome | undefined {
    return this.verdict.decided ? this.verdict.outcome : undefined;
  }

  add(text: string): string {
    if (this.verdict.decided) return this.verdict.outcome === 'refused' ? '' : text;
    this.gathered += text;
    return this.decide(false);
  }

  /** The continuation ended: whatever was held back is judged now. */
  finish(): string {
    return this.verdict.decided ? '' : this.decide(true);
  }

  private decide(final: boolean): string {
    this.verdict = judgeContinuation(this.partial, this.gathered, final);
    if (!this.verdict.decided || this.verdict.outcome === 'refused') return '';
    const text = this.gathered.slice(this.verdict.drop);
    this.gathered = '';
    return text;
  }
}
