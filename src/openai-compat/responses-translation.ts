import { randomUUID } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { FinishReason, ToolCall, TokenUsage } from '../llm';
import { OpenAiRequestError } from './chat-translation';
import {
  ChatCompletionRequestDto,
  ChatMessageDto,
  ToolDto,
} from './dto/chat-completion-request.dto';
import { ResponsesRequestDto } from './dto/responses-request.dto';

type Item = Record<string, unknown>;

const RESPONSES_NO_OP_FIELDS = [
  'store',
  'metadata',
  'parallel_tool_calls',
  'truncation',
  'include',
  'service_tier',
  'safety_identifier',
] as const;

/** The no-op fields a Responses request set (named in x-llm-warning). */
export function ignoredResponsesFields(dto: ResponsesRequestDto): string[] {
  return RESPONSES_NO_OP_FIELDS.filter((field) => dto[field] !== undefined);
}

/** A message item's text: a string, or `input_text`/`output_text` parts (other parts are a 400). */
function itemText(content: unknown, param: string): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content))
    throw new OpenAiRequestError(`${param} must be a string or a list of text parts`, param);
  return content
    .map((part: unknown, index) => {
      const { type, text } = (part ?? {}) as { type?: unknown; text?: unknown };
      if (
        (type === 'input_text' || type === 'output_text' || type === 'text') &&
        typeof text === 'string'
      )
        return text;
      throw new OpenAiRequestError(
        `${param}[${index}]: only text parts are supported (input_text, output_text)`,
        `${param}[${index}]`,
      );
    })
    .join('');
}

/**
 * Responses input items as Chat Completions messages: message items by role, `function_call` items joined into the
 * assistant turn that made them, `function_call_output` items as `tool` messages; reasoning items are dropped (no
 * provider here can take another's reasoning back).
 */
function toChatMessages(dto: ResponsesRequestDto): ChatMessageDto[] {
  const messages: ChatMessageDto[] = [];
  if (dto.instructions) messages.push({ role: 'system', content: dto.instructions });
  if (typeof dto.input === 'string') {
    messages.push({ role: 'user', content: dto.input });
    return messages;
  }
  dto.input.forEach((item: Item, index) => {
    const param = `input[${index}]`;
    const type = item.type ?? 'message';
    switch (type) {
      case 'message': {
        const role = item.role;
        if (role !== 'user' && role !== 'assistant' && role !== 'system' && role !== 'developer')
          throw new OpenAiRequestError(
            `${param}.role must be user, assistant, system or developer`,
            `${param}.role`,
          );
        messages.push({ role, content: itemText(item.content, `${param}.content`) });
        return;
      }
      case 'function_call': {
        if (typeof item.call_id !== 'string' || typeof item.name !== 'string')
          throw new OpenAiRequestError(`${param} needs call_id and name`, param);
        const call = {
          id: item.call_id,
          type: 'function' as const,
          function: {
            name: item.name,
            arguments: typeof item.arguments === 'string' ? item.arguments : '{}',
          },
        };
        const previous = messages[messages.length - 1];
        if (previous?.role === 'assistant' && previous.tool_calls) previous.tool_calls.push(call);
        else messages.push({ role: 'assistant', content: null, tool_calls: [call] });
        return;
      }
      case 'function_call_output': {
        if (typeof item.call_id !== 'string')
          throw new OpenAiRequestError(`${param} needs call_id`, `${param}.call_id`);
        const output = item.output;
        messages.push({
          role: 'tool',
          tool_call_id: item.call_id,
          content: typeof output === 'string' ? output : itemText(output, `${param}.output`),
        });
        return;
      }
      case 'reasoning':
        return;
      default:
        throw new OpenAiRequestError(
          `${param}: items of type ${typeof type === 'string' ? type : JSON.stringify(type)} are not supported (message, function_call, function_call_output)`,
          `${param}.type`,
        );
    }
  });
  return messages;
}

function toChatTools(dto: ResponsesRequestDto): ToolDto[] | undefined {
  return dto.tools?.map((tool, index) => {
    if (tool.type !== 'function' || !tool.name)
      throw new OpenAiRequestError(
        `tools[${index}]: only function tools (with a name) are supported here, not ${tool.type}`,
        `tools[${index}].type`,
      );
    return {
      type: 'function',
      function: {
        name: tool.name,
        ...(tool.description ? { description: tool.description } : {}),
        ...(tool.parameters ? { parameters: tool.parameters } : {}),
      },
    };
  });
}

function toChatToolChoice(choice: unknown): ChatCompletionRequestDto['tool_choice'] {
  if (choice === undefined) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice;
  const { type, name } = (choice ?? {}) as { type?: unknown; name?: unknown };
  if (type === 'function' && typeof name === 'string')
    return { type: 'function', function: { name } };
  throw new OpenAiRequestError(
    'tool_choice must be "auto", "none", "required" or {"type": "function", "name": ...}',
    'tool_choice',
  );
}

function toChatFormat(dto: ResponsesRequestDto): ChatCompletionRequestDto['response_format'] {
  const format = dto.text?.format;
  if (!format || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  if (!format.name || !format.schema)
    throw new OpenAiRequestError('text.format json_schema needs name and schema', 'text.format');
  return {
    type: 'json_schema',
    json_schema: { name: format.name, schema: format.schema, strict: format.strict },
  };
}

/** The messages of a validation error, flattened: `messages.2.tool_call_id must be …`. */
function messagesOf(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((error) => {
    const path = parent ? `${parent}.${error.property}` : error.property;
    return [
      ...Object.values(error.constraints ?? {}).map((message) =>
        message.startsWith(error.property)
          ? `${parent ? `${parent}.` : ''}${message}`
          : `${path}: ${message}`,
      ),
      ...messagesOf(error.children ?? [], path),
    ];
  });
}

/**
 * The Responses request as the Chat Completions request the gateway already serves, checked by the same rules as a
 * Chat Completions request (tool names, call ids, lengths): a 400 naming what is wrong, before any call.
 */
export function toChatRequest(dto: ResponsesRequestDto): ChatCompletionRequestDto {
  const request = translate(dto);
  const errors = validateSync(plainToInstance(ChatCompletionRequestDto, request), {
    whitelist: true,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) {
    const [first] = messagesOf(errors);
    throw new OpenAiRequestError(`input (as chat messages): ${first}`, 'input');
  }
  return request;
}

function translate(dto: ResponsesRequestDto): ChatCompletionRequestDto {
  if (dto.previous_response_id !== undefined)
    throw new OpenAiRequestError(
      'previous_response_id is not supported: this gateway stores no responses; send the whole conversation as input',
      'previous_response_id',
    );
  return {
    model: dto.model,
    messages: toChatMessages(dto),
    tools: toChatTools(dto),
    tool_choice: toChatToolChoice(dto.tool_choice),
    response_format: toChatFormat(dto),
    max_tokens: dto.max_output_tokens,
    temperature: dto.temperature,
    top_p: dto.top_p,
    reasoning_effort: dto.reasoning?.effort,
    fallbacks: dto.fallbacks,
    stream: dto.stream,
    prompt_cache_key: dto.prompt_cache_key,
    user: dto.user,
  };
}

const id = (prefix: string) => `${prefix}_${randomUUID().replace(/-/g, '')}`;

export interface ResponseOutput {
  text: string;
  toolCalls: ToolCall[];
  finish: FinishReason;
  usage: TokenUsage;
}

export function messageItem(itemId: string, text: string, status: 'in_progress' | 'completed') {
  return {
    type: 'message' as const,
    id: itemId,
    status,
    role: 'assistant' as const,
    content:
      status === 'completed'
        ? [{ type: 'output_text' as const, text, annotations: [], logprobs: [] }]
        : [],
  };
}

export function functionCallItem(
  itemId: string,
  call: ToolCall,
  status: 'in_progress' | 'completed',
) {
  return {
    type: 'function_call' as const,
    id: itemId,
    call_id: call.id,
    name: call.name,
    arguments: status === 'completed' ? call.arguments : '',
    status,
  };
}

/** The response object (`object: "response"`), in progress or done. */
export function responseObject(
  responseId: string,
  createdAt: number,
  dto: ResponsesRequestDto,
  model: string,
  output: unknown[],
  done: ResponseOutput | undefined,
) {
  const incomplete = done?.finish === 'length';
  return {
    id: responseId,
    object: 'response' as const,
    created_at: createdAt,
    status: done === undefined ? 'in_progress' : incomplete ? 'incomplete' : 'completed',
    error: null,
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    instructions: dto.instructions ?? null,
    max_output_tokens: dto.max_output_tokens ?? null,
    model,
    output,
    parallel_tool_calls: true,
    previous_response_id: null,
    reasoning: { effort: dto.reasoning?.effort ?? null, summary: null },
    store: false,
    temperature: dto.temperature ?? null,
    text: { format: dto.text?.format ?? { type: 'text' } },
    tool_choice: dto.tool_choice ?? 'auto',
    tools: dto.tools ?? [],
    top_p: dto.top_p ?? null,
    truncation: 'disabled',
    usage: done
      ? {
          input_tokens: done.usage.inputTokens,
          input_tokens_details: { cached_tokens: done.usage.cachedInputTokens ?? 0 },
          output_tokens: done.usage.outputTokens,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: done.usage.inputTokens + done.usage.outputTokens,
        }
      : null,
    metadata: dto.metadata ?? {},
  };
}

/** A whole (non-streamed) answer as a response object: a message item for the text, one item per call. */
export function completedResponse(dto: ResponsesRequestDto, model: string, done: ResponseOutput) {
  const output = [
    ...(done.text.length > 0 || done.toolCalls.length === 0
      ? [messageItem(id('msg'), done.text, 'completed')]
      : []),
    ...done.toolCalls.map((call) => functionCallItem(id('fc'), call, 'completed')),
  ];
  return {
    ...responseObject(id('resp'), Math.floor(Date.now() / 1000), dto, model, output, done),
    output_text: done.text,
  };
}

export const newItemId = id;
