import {
  asObject,
  Dialect,
  dig,
  errorMessage,
  frame,
  numberAt,
  ParsedCall,
  StreamPlan,
} from '../dialect';

/** Thought tokens a thinking Gemini model spends by level; without any setting it thinks by default. */
const THOUGHTS_BY_LEVEL: Record<string, number> = {
  MINIMAL: 0,
  LOW: 300,
  MEDIUM: 800,
  HIGH: 2_000,
};
const DEFAULT_THOUGHTS = 1_200;

const STATUSES: Record<number, string> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  429: 'RESOURCE_EXHAUSTED',
  500: 'INTERNAL',
  502: 'INTERNAL',
  503: 'UNAVAILABLE',
};

const FINISH_REASON = {
  complete: 'STOP',
  truncated: 'MAX_TOKENS',
  continuation: 'CONTINUATION',
} as const;

/** A candidate's end: its finish reason, and the token to resume from when it paused for continuation. */
function ending(kind: keyof typeof FINISH_REASON) {
  return {
    finishReason: FINISH_REASON[kind],
    ...(kind === 'continuation' ? { continuationToken: 'c2ltdWxhdGVkLWNvbnRpbnVhdGlvbg==' } : {}),
  };
}

const PATH = /^\/v1(?:beta)?\/models\/([^/]+):(generateContent|streamGenerateContent)$/;

function usage(call: ParsedCall, promptTokens: number, outputTokens: number, thoughtTokens = 0) {
  const cached = call.cache?.read ?? 0;
  return {
    promptTokenCount: promptTokens,
    ...(cached > 0 ? { cachedContentTokenCount: cached } : {}),
    ...(thoughtTokens > 0 ? { thoughtsTokenCount: thoughtTokens } : {}),
    candidatesTokenCount: outputTokens,
    totalTokenCount: promptTokens + outputTokens + thoughtTokens,
  };
}

/** Gemini generateContent / streamGenerateContent; a blocked prompt is a 200 with `promptFeedback.blockReason`. */
export const geminiDialect: Dialect = {
  provider: 'gemini',
  overloadedStatus: 503,

  route: (path) => {
    const match = PATH.exec(path);
    return match
      ? { model: decodeURIComponent(match[1]), stream: match[2] === 'streamGenerateContent' }
      : undefined;
  },

  schemaOf: (body) =>
    asObject(dig(body, 'generationConfig', 'responseJsonSchema')) ??
    asObject(dig(body, 'generationConfig', 'responseSchema')),

  wantsJsonObject: (body) =>
    dig(body, 'generationConfig', 'responseMimeType') === 'application/json',

  thinking: (call) => {
    const limit = numberAt(call.body, 'generationConfig', 'maxOutputTokens');
    if (!/gemini-(2\.5|3)/.test(call.model)) return { thoughts: 0, limit };
    const budget = numberAt(call.body, 'generationConfig', 'thinkingConfig', 'thinkingBudget');
    const level = dig(call.body, 'generationConfig', 'thinkingConfig', 'thinkingLevel');
    const thoughts =
      budget !== undefined && budget >= 0
        ? budget
        : typeof level === 'string'
          ? (THOUGHTS_BY_LEVEL[level] ?? DEFAULT_THOUGHTS)
          : DEFAULT_THOUGHTS;
    return { thoughts, limit };
  },

  answer: (call, text, kind, promptTokens, _toolInput, thoughtTokens) => ({
    status: 200,
    body: {
      candidates: [
        {
          content: { role: 'model', parts: [{ text }] },
          ...ending(kind),
          index: 0,
        },
      ],
      usageMetadata: usage(call, promptTokens, Math.ceil(text.length / 4), thoughtTokens),
      modelVersion: call.model,
    },
  }),

  blocked: (_call, promptTokens) => ({
    status: 200,
    body: {
      promptFeedback: { blockReason: 'SAFETY' },
      usageMetadata: { promptTokenCount: promptTokens, totalTokenCount: promptTokens },
    },
  }),

  failure: (status) => ({
    status,
    body: {
      error: { code: status, message: errorMessage(status), status: STATUSES[status] ?? 'UNKNOWN' },
    },
  }),

  invalidKey: () => ({
    status: 400,
    body: {
      error: {
        code: 400,
        message: 'API key not valid. Please pass a valid API key.',
        status: 'INVALID_ARGUMENT',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
            reason: 'API_KEY_INVALID',
            domain: 'googleapis.com',
          },
        ],
      },
    },
  }),

  contentPolicy: (call, promptTokens) => geminiDialect.blocked(call, promptTokens),

  toolCall: (call, toolCall, promptTokens) => ({
    status: 200,
    body: {
      candidates: [
        {
          content: {
            role: 'model',
            parts: [{ functionCall: { name: toolCall.name, args: toolCall.args } }],
          },
          ...ending('complete'),
          index: 0,
        },
      ],
      usageMetadata: usage(call, promptTokens, 12),
      modelVersion: call.model,
    },
  }),

  // Gemini streams a function call whole, in one chunk with the finish reason.
  toolCallFrames: (call, toolCall, promptTokens) => [
    frame(geminiDialect.toolCall(call, toolCall, promptTokens).body),
  ],

  streamFrames: (plan: StreamPlan) => {
    if (plan.ending === 'blocked') return [frame({ promptFeedback: { blockReason: 'SAFETY' } })];
    const frames = plan.chunks.map((text) =>
      frame({
        candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0 }],
        modelVersion: plan.call.model,
      }),
    );
    if (plan.ending === 'no_end_marker') return frames;
    frames.push(
      frame({
        candidates: [
          {
            content: { role: 'model', parts: [{ text: '' }] },
            ...ending(
              plan.ending === 'truncated' || plan.ending === 'continuation'
                ? plan.ending
                : 'complete',
            ),
            index: 0,
          },
        ],
        usageMetadata: usage(plan.call, plan.promptTokens, plan.outputTokens),
        modelVersion: plan.call.model,
      }),
    );
    return frames;
  },
};
