import { IsString } from 'class-validator';
import { Registry } from 'prom-client';
import { FakeClock } from '../../../test/support/fake-clock';
import { FakeProvider } from '../../../test/support/fake-provider';
import { llmParts } from '../../../test/support/llm-parts';
import { SpendScope, withSpendScope } from '../../common/spend-scope';
import { LlmService } from '../llm.service';
import { StreamEvent } from '../llm.types';
import { parseRouteList } from '../routes';
import { continuationRequest } from '../streaming/continuation';
import { estimateInputTokens } from './token-estimate';

class Greeting {
  @IsString()
  text: string;
}

const chain = parseRouteList('gemini:primary,gemini:second,openai:third');
const request = {
  messages: [{ role: 'user' as const, content: 'hi' }],
  responseFormat: { type: 'text' as const },
};
/** What the fake providers bill for an answer they finish. */
const USAGE = 10 + 5;
const INPUT = estimateInputTokens(request);
/** The input of a continuation after the cut stream's "Hel" (by instruction or prefill: the same estimate). */
const CONTINUATION_INPUT = estimateInputTokens(continuationRequest(request, 'Hel', 'instruction'));
/** "Hel" (and "Hel" of a continuation) as output tokens: four characters a token. */
const THREE_CHARACTERS = 1;

/** The metric series one row looks at: attempts and requests by outcome, and tokens charged. */
async function counters(registry: Registry) {
  const values = async (name: string) =>
    (await registry.getSingleMetric(name)?.get())?.values ?? [];
  const byOutcome = async (name: string, suffix = '') => {
    const totals: Record<string, number> = {};
    for (const value of await values(name)) {
      if (suffix && !('metricName' in value && value.metricName === `${name}${suffix}`)) continue;
      const outcome = String(value.labels.outcome);
      totals[outcome] = (totals[outcome] ?? 0) + value.value;
    }
    return totals;
  };
  const tokens = (await values('llm_tokens_total')).reduce((sum, value) => sum + value.value, 0);
  return {
    attempts: await byOutcome('llm_attempts_total'),
    requests: await byOutcome('llm_request_duration_seconds', '_count'),
    tokens,
  };
}

async function readAll(events: AsyncIterable<StreamEvent>, stopAfterTexts = Infinity) {
  let texts = 0;
  for await (const event of events) {
    if (event.type === 'text') texts += 1;
    if (texts >= stopAfterTexts) break;
  }
}

type Play = (service: LlmService, gemini: FakeProvider, openai: FakeProvider) => Promise<unknown>;

interface Row {
  name: string;
  play: Play;
  attempts: Record<string, number>;
  requests: Record<string, number>;
  charged: number;
}

const abortAfter = (ms: number) => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), ms);
  return controller.signal;
};

const ROWS: Row[] = [
  {
    name: 'plain',
    play: (service) =>
      service.generateObject({ schema: Greeting, schemaName: 'g', system: 's', prompt: 'p' }),
    attempts: { success: 1 },
    requests: { success: 1 },
    charged: USAGE,
  },
  {
    name: 'streamed',
    play: async (service) => readAll((await service.stream(request)).events),
    attempts: { success: 1 },
    requests: { success: 1 },
    charged: USAGE,
  },
  {
    name: 'streamed + continued',
    play: async (service, gemini) => {
      gemini.script('primary', 'cut');
      return readAll((await service.stream(request)).events);
    },
    attempts: { network: 1, success: 1 },
    requests: { success: 1 },
    charged: INPUT + THREE_CHARACTERS + USAGE,
  },
  {
    name: 'aborted before the first byte',
    play: async (service, gemini) => {
      gemini.script('primary', 'hang');
      return service.stream(request, { signal: abortAfter(20) }).catch(() => undefined);
    },
    attempts: { client_aborted: 1 },
    requests: { client_aborted: 1 },
    charged: INPUT,
  },
  {
    name: 'aborted mid-stream (the reader stops)',
    play: async (service) => readAll((await service.stream(request)).events, 1),
    attempts: { client_aborted: 1 },
    requests: { client_aborted: 1 },
    charged: INPUT + THREE_CHARACTERS,
  },
  {
    name: 'aborted mid-continuation (the caller leaves)',
    play: async (service, gemini) => {
      gemini.script('primary', 'cut').script('second', { stall: 'Hello there, and more.' });
      const session = await service.stream(request, { signal: abortAfter(30) });
      return readAll(session.events).catch(() => undefined);
    },
    attempts: { network: 1, client_aborted: 1 },
    requests: { client_aborted: 1 },
    charged: INPUT + THREE_CHARACTERS + CONTINUATION_INPUT + THREE_CHARACTERS,
  },
  {
    name: 'failed on every route',
    play: async (service, gemini, openai) => {
      gemini.script('primary', { kind: 'overloaded' }).script('second', { kind: 'overloaded' });
      openai.script('third', { kind: 'overloaded' });
      return service.stream(request).catch(() => undefined);
    },
    attempts: { overloaded: 3 },
    requests: { failed: 1 },
    charged: 3 * INPUT,
  },
];

describe('RequestLedger: every outcome recorded once, in one place', () => {
  it.each(ROWS)('$name', async (row) => {
    const gemini = new FakeProvider('gemini');
    const openai = new FakeProvider('openai');
    const parts = llmParts(
      {
        routes: { chain, providers: {} },
        timeouts: { attemptMs: 1_000, requestMs: 5_000, streamIdleMs: 1_000 },
        clock: new FakeClock(),
      },
      [gemini, openai],
    );
    const service = parts.service();
    const charges: number[] = [];
    let holds = 0;
    const payer: SpendScope = {
      reserve: (ask) => {
        holds += 1;
        return Promise.resolve({
          outputTokens: ask.outputTokens,
          settle: (tokens) => charges.push(tokens),
        });
      },
    };

    await withSpendScope(payer, () => row.play(service, gemini, openai));
    // A stream abandoned by its reader settles as its generators unwind.
    await new Promise((resolve) => setImmediate(resolve));

    const after = await counters(parts.prometheus);
    expect(after.attempts).toEqual(row.attempts);
    expect(after.requests).toEqual(row.requests);
    // Every attempt reserved before it was sent settles exactly once, whatever its path.
    expect(charges).toHaveLength(holds);
    const charged = charges.reduce((sum, tokens) => sum + tokens, 0);
    expect(charged).toBe(row.charged);
    // What the budget is charged is what the token metric counts.
    expect(after.tokens).toBe(charged);
  });
});
