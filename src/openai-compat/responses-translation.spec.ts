import { OpenAiRequestError } from './chat-translation';
import { ResponsesRequestDto } from './dto/responses-request.dto';
import {
  completedResponse,
  ignoredResponsesFields,
  responseObject,
  toChatRequest,
} from './responses-translation';

const dto = (fields: Partial<ResponsesRequestDto>): ResponsesRequestDto => ({
  model: 'default',
  input: 'hi',
  ...fields,
});

describe('responses translation', () => {
  it('a string input with instructions is a system and a user message', () => {
    expect(toChatRequest(dto({ instructions: 'be brief' })).messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'hi' },
    ]);
  });

  it('items: function calls join the assistant turn that made them, outputs become tool messages, reasoning is dropped', () => {
    const request = toChatRequest(
      dto({
        input: [
          { role: 'user', content: [{ type: 'input_text', text: 'weather?' }] },
          { type: 'reasoning', summary: [] },
          { type: 'function_call', call_id: 'c1', name: 'weather', arguments: '{"city":"Oslo"}' },
          { type: 'function_call', call_id: 'c2', name: 'time', arguments: '{}' },
          { type: 'function_call_output', call_id: 'c1', output: 'rain' },
        ] as never,
      }),
    );
    expect(request.messages).toEqual([
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'c1',
            type: 'function',
            function: { name: 'weather', arguments: '{"city":"Oslo"}' },
          },
          { id: 'c2', type: 'function', function: { name: 'time', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'rain' },
    ]);
  });

  it('format, tools and limits map onto the chat request', () => {
    const request = toChatRequest(
      dto({
        text: { format: { type: 'json_schema', name: 'city', schema: { type: 'object' } } },
        tools: [{ type: 'function', name: 'f', parameters: { type: 'object' } }],
        tool_choice: { type: 'function', name: 'f' },
        max_output_tokens: 64,
        reasoning: { effort: 'low' },
      } as never),
    );
    expect(request).toMatchObject({
      response_format: {
        type: 'json_schema',
        json_schema: { name: 'city', schema: { type: 'object' } },
      },
      tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      max_tokens: 64,
      reasoning_effort: 'low',
    });
  });

  it('what the gateway cannot serve is a 400 naming the field', () => {
    expect(() => toChatRequest(dto({ previous_response_id: 'resp_1' }))).toThrow(
      OpenAiRequestError,
    );
    expect(() => toChatRequest(dto({ input: [{ type: 'web_search_call' }] as never }))).toThrow(
      /not supported/,
    );
    expect(() =>
      toChatRequest(
        dto({ input: [{ role: 'user', content: [{ type: 'input_image' }] }] as never }),
      ),
    ).toThrow(/only text parts/);
    expect(() => toChatRequest(dto({ tools: [{ type: 'web_search' }] as never }))).toThrow(
      /only function tools/,
    );
  });

  it('a whole answer as a response object; a length finish is incomplete; no-op fields are named', () => {
    const done = {
      text: 'Oslo',
      toolCalls: [],
      finish: 'length' as const,
      usage: { inputTokens: 3, outputTokens: 2 },
    };
    const response = completedResponse(dto({}), 'openai:o', done);
    expect(response).toMatchObject({
      object: 'response',
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
      output_text: 'Oslo',
      usage: { input_tokens: 3, output_tokens: 2, total_tokens: 5 },
    });
    expect(responseObject('r', 0, dto({}), 'm', [], undefined).status).toBe('in_progress');
    expect(ignoredResponsesFields(dto({ store: true, user: 'u' }))).toEqual(['store']);
  });
});
