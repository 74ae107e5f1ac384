import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import { IsOptional, IsString, MaxLength, validateSync } from 'class-validator';
/* The differential check runs the features' real request DTOs, so it sits at the composition root. */
import { CompiledValidation } from './common/compiled-validation';
import { CreateLessonDto } from './lessons/dto/create-lesson.dto';
import { ChatCompletionRequestDto } from './openai-compat/dto/chat-completion-request.dto';
import { ResponsesRequestDto } from './openai-compat/dto/responses-request.dto';
import { CreateProfileDto } from './profiles/dto/create-profile.dto';

/** What the service's ValidationPipe decides for `body` as `type`. */
function classValidatorAccepts(type: new () => object, body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const instance = plainToInstance(type, body);
  return (
    validateSync(instance, {
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
    }).length === 0
  );
}

const message = (extra: object = {}) => ({ role: 'user', content: 'Hi', ...extra });
const chat = (extra: object = {}) => ({
  model: 'openai:gpt-4o-mini',
  messages: [message()],
  ...extra,
});

/** Bodies around the chat DTO's edges: accepted, refused, and the conditional rules' corners. */
const CHAT_BODIES: unknown[] = [
  chat(),
  chat({ temperature: 0.3, max_tokens: 20, stream: true, stream_options: { include_usage: true } }),
  chat({ temperature: 3 }),
  chat({ max_tokens: 1.5 }),
  chat({ max_tokens: '20' }),
  chat({ stop: ['a', 'b'] }),
  chat({ stop: ['a', 'b', 'c', 'd', 'e'] }),
  chat({ unknown_field: 1 }),
  chat({ messages: [] }),
  chat({ messages: [message({ role: 'robot' })] }),
  chat({ messages: [message({ content: [{ type: 'text', text: 'x' }] })] }),
  chat({ messages: [message({ content: [{ type: 'image_url', image_url: 'x' }] })] }),
  chat({ messages: [message({ extra: true })] }),
  chat({ messages: [{ role: 'assistant', content: null, tool_calls: [] }] }),
  chat({ messages: [{ role: 'user', content: null }] }),
  chat({ messages: [{ role: 'tool', content: 'result' }] }),
  chat({ messages: [{ role: 'tool', content: 'result', tool_call_id: 'call_1' }] }),
  chat({ messages: [{ role: 'tool', content: 'result', tool_call_id: '' }] }),
  chat({
    messages: [
      {
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'f', arguments: '{}', parsed_arguments: {} },
          },
        ],
      },
    ],
  }),
  chat({
    messages: [
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c', type: 'function', function: { name: 'bad name!', arguments: '{}' } },
        ],
      },
    ],
  }),
  chat({ tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }] }),
  chat({ tools: [{ type: 'retrieval' }] }),
  chat({ tool_choice: 'auto' }),
  chat({ tool_choice: { type: 'function', function: { name: 'f' } } }),
  chat({ tool_choice: 'sometimes' }),
  chat({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } } }),
  chat({ response_format: { type: 'json_schema', json_schema: { name: 'x' } } }),
  chat({ fallbacks: ['anthropic:claude-haiku-4-5', 'x'.repeat(201)] }),
  chat({ fallbacks: 'anthropic:claude-haiku-4-5' }),
  chat({ n: 1, logprobs: false, user: 'u', metadata: { a: 1 } }),
  chat({ n: 2 }),
  chat({ model: '' }),
  chat({ model: undefined }),
  chat({ temperature: null }),
  chat({ messages: [message({ content: '\uFE0F'.repeat(3) })] }),
  [chat()],
  'text',
];

describe('CompiledValidation', () => {
  const compiled = new CompiledValidation();

  it('compiles the request DTOs of the hot paths; a DTO that normalises its text stays with class-validator', () => {
    for (const type of [ChatCompletionRequestDto, ResponsesRequestDto, CreateLessonDto])
      expect([type.name, compiled.validatorFor(type) !== undefined]).toEqual([type.name, true]);
    // CreateProfileDto's @NormalizeWhitespace() is a class-transformer @Transform: its output is what is stored.
    expect(compiled.validatorFor(CreateProfileDto)).toBeUndefined();
  });

  it('never accepts a chat body class-validator refuses, and accepts the plain valid ones', () => {
    const check = compiled.validatorFor(ChatCompletionRequestDto)!;
    const verdicts = CHAT_BODIES.map((body) => ({
      body: JSON.stringify(body).slice(0, 120),
      compiled: check(body),
      classValidator: classValidatorAccepts(ChatCompletionRequestDto, body),
    }));
    for (const verdict of verdicts)
      if (verdict.compiled) expect(verdict).toMatchObject({ classValidator: true });
    // The fast path is taken for what real clients send, not only for a bare minimum.
    const acceptedByBoth = verdicts.filter((v) => v.compiled && v.classValidator).length;
    expect(acceptedByBoth).toBeGreaterThanOrEqual(12);
    // Refusals agree (what class-validator refuses is refused here too; a tool message needs its call id).
    expect(check(chat({ messages: [{ role: 'tool', content: 'result' }] }))).toBe(false);
    expect(check(chat({ messages: [{ role: 'user', content: null }] }))).toBe(false);
    expect(check(chat({ messages: [{ role: 'assistant', content: null }] }))).toBe(true);
  });

  it('agrees with class-validator on every one-field mutation of real bodies (accepting only what it accepts)', () => {
    const check = compiled.validatorFor(ChatCompletionRequestDto)!;
    const replacements: unknown[] = [
      undefined,
      null,
      0,
      1.5,
      -1,
      'x',
      '',
      '\uFE0F',
      [],
      [1],
      {},
      true,
      'x'.repeat(300),
    ];
    const seeds = CHAT_BODIES.filter((body) =>
      classValidatorAccepts(ChatCompletionRequestDto, body),
    );
    let mutations = 0;
    const disagreements: string[] = [];
    const visit = (root: unknown, node: unknown, path: string[]) => {
      if (typeof node !== 'object' || node === null) return;
      for (const key of Object.keys(node)) {
        for (const replacement of replacements) {
          const copy = structuredClone(root) as Record<string, unknown>;
          let target = copy;
          for (const step of path) target = target[step] as Record<string, unknown>;
          if (replacement === undefined) delete target[key];
          else target[key] = replacement;
          mutations += 1;
          // As the service receives it: parsed JSON (no holes, no undefined).
          const body = JSON.parse(JSON.stringify(copy)) as unknown;
          if (check(body) && !classValidatorAccepts(ChatCompletionRequestDto, body))
            disagreements.push(JSON.stringify(body).slice(0, 200));
        }
        visit(root, (node as Record<string, unknown>)[key], [...path, key]);
      }
    };
    for (const seed of seeds) visit(seed, seed, []);
    expect(mutations).toBeGreaterThan(1_000);
    expect(disagreements).toEqual([]);
  });

  it('leaves to class-validator a class that needs class-transformer or has initial values', () => {
    class Trimmed {
      @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
      @IsString()
      name: string;
    }
    class WithDefault {
      @IsOptional() @IsString() @MaxLength(5) mode?: string = 'fast';
    }
    class Plain {
      @IsString() @MaxLength(5) name: string;
    }
    expect(compiled.validatorFor(Trimmed)).toBeUndefined();
    expect(compiled.validatorFor(WithDefault)).toBeUndefined();
    const plain = compiled.validatorFor(Plain)!;
    expect([
      plain({ name: 'abc' }),
      plain({ name: 'abcdef' }),
      plain({}),
      plain({ name: 'a', x: 1 }),
    ]).toEqual([true, false, false, false]);
  });
});
