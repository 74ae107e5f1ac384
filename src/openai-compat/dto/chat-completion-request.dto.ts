import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateIf,
  ValidateNested,
  ValidationOptions,
} from 'class-validator';

/** Largest text in one message; the body limit caps the whole request anyway. */
const MAX_CONTENT_LENGTH = 1_000_000;

/** A message's content: a string, or an array of `{type: "text", text}` parts. */
function IsTextContent(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isTextContent',
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'string' && value.length <= MAX_CONTENT_LENGTH) ||
          (Array.isArray(value) &&
            value.length > 0 &&
            value.every(
              (part: unknown) =>
                typeof part === 'object' &&
                part !== null &&
                (part as { type?: unknown }).type === 'text' &&
                typeof (part as { text?: unknown }).text === 'string',
            )),
        defaultMessage: () =>
          '$property must be a string or an array of {"type": "text", "text": string} parts (only text is supported)',
      },
    },
    options,
  );
}

function IsNullOrString(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isNullOrString',
      validator: {
        validate: (value: unknown) => value === null || typeof value === 'string',
        defaultMessage: () => '$property must be a string or null',
      },
    },
    options,
  );
}

function IsNull(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isNull',
      validator: {
        validate: (value: unknown) => value === null,
        defaultMessage: () => '$property must be null (not supported)',
      },
    },
    options,
  );
}

/** `stop`: a string or up to 4 strings. */
function IsStop(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isStop',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' ||
          (Array.isArray(value) &&
            value.length <= 4 &&
            value.every((item) => typeof item === 'string')),
        defaultMessage: () => '$property must be a string or an array of at most 4 strings',
      },
    },
    options,
  );
}

export class FunctionCallDto {
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, {
    message: 'function.name must be 1–64 letters, digits, _ or -',
  })
  name: string;

  /** The arguments as JSON text, as OpenAI sends them. */
  @IsString() @MaxLength(MAX_CONTENT_LENGTH) arguments: string;

  /** What the `openai` client's `parse()` with strict tools and `runTools` echo back: accepted and ignored. */
  @IsOptional() @Allow() parsed_arguments?: unknown;
}

export class ToolCallDto {
  @IsString() @Length(1, 200) id: string;
  @IsIn(['function'], { message: 'type must be "function"' }) type: 'function';
  @ValidateNested() @Type(() => FunctionCallDto) function: FunctionCallDto;
}

export class FunctionDefinitionDto {
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, {
    message: 'function.name must be 1–64 letters, digits, _ or -',
  })
  name: string;

  @IsOptional() @IsString() @MaxLength(4000) description?: string;
  /** JSON Schema of the arguments; none means no arguments. */
  @IsOptional() @IsObject() parameters?: Record<string, unknown>;
  @IsOptional() @IsBoolean() strict?: boolean;
}

export class ToolDto {
  @IsIn(['function'], {
    message: 'type must be "function" (only function tools are supported)',
  })
  type: 'function';
  @ValidateNested() @Type(() => FunctionDefinitionDto) function: FunctionDefinitionDto;
}

/** `tool_choice`: `auto`, `none`, `required`, or `{type: "function", function: {name}}`. */
function IsToolChoice(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isToolChoice',
      validator: {
        validate: (value: unknown) =>
          value === 'auto' ||
          value === 'none' ||
          value === 'required' ||
          (typeof value === 'object' &&
            value !== null &&
            (value as { type?: unknown }).type === 'function' &&
            typeof (value as { function?: { name?: unknown } }).function?.name === 'string'),
        defaultMessage: () =>
          '$property must be "auto", "none", "required" or {"type": "function", "function": {"name": ...}}',
      },
    },
    options,
  );
}

export class ChatMessageDto {
  /** `developer` is OpenAI's newer name for system instructions; `tool` carries a function's result. */
  @IsIn(['system', 'developer', 'user', 'assistant', 'tool'], {
    message: 'role must be one of system, developer, user, assistant, tool',
  })
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool';

  /** Null only for an assistant turn that made tool calls. */
  @ValidateIf(
    (message: ChatMessageDto) => !(message.role === 'assistant' && message.content === null),
  )
  @IsTextContent()
  content: string | Array<{ type: 'text'; text: string }> | null;

  /** For `tool` messages: the call this result answers. */
  @ValidateIf((message: ChatMessageDto) => message.role === 'tool')
  @IsString({ message: 'tool_call_id is required on tool messages' })
  @Length(1, 200)
  tool_call_id?: string;

  @IsOptional() @IsString() @MaxLength(64) name?: string;

  // What the OpenAI SDKs echo back when a caller pushes `completion.choices[0].message` into the next request (and
  // what `.parse()`/`.stream()` add): accepted, and only empty or null where they would ask for a feature.
  @IsOptional() @IsNullOrString() refusal?: string | null;
  @IsOptional() @IsArray() annotations?: unknown[];
  @IsOptional() @IsNull() audio?: null;
  @IsOptional() @IsNull() function_call?: null;
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(128)
  @ValidateNested({ each: true })
  @Type(() => ToolCallDto)
  tool_calls?: ToolCallDto[];
  @IsOptional() @Allow() parsed?: unknown;
}

export class JsonSchemaFormatDto {
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, {
    message: 'json_schema.name must be 1–64 letters, digits, _ or -',
  })
  name: string;

  @IsOptional() @IsString() @MaxLength(1000) description?: string;

  @IsObject() schema: Record<string, unknown>;

  @IsOptional() @IsBoolean() strict?: boolean;
}

export class ResponseFormatDto {
  @IsIn(['text', 'json_object', 'json_schema']) type: 'text' | 'json_object' | 'json_schema';

  @IsOptional()
  @ValidateNested()
  @Type(() => JsonSchemaFormatDto)
  json_schema?: JsonSchemaFormatDto;
}

export class StreamOptionsDto {
  @IsOptional() @IsBoolean() include_usage?: boolean;
}

/** The OpenAI Chat Completions request, as far as this service can honour it across providers. */
export class ChatCompletionRequestDto {
  /** `provider:model` or `default` (the configured chain). */
  @IsString() @Length(1, 200) model: string;

  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @ValidateNested({ each: true })
  @Type(() => ChatMessageDto)
  messages: ChatMessageDto[];

  @IsOptional() @IsNumber() @Min(0) @Max(2) temperature?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(1) top_p?: number;
  @IsOptional() @IsInt() @Min(1) @Max(200_000) max_tokens?: number;
  @IsOptional() @IsInt() @Min(1) @Max(200_000) max_completion_tokens?: number;
  @IsOptional() @IsStop() stop?: string | string[];
  @IsOptional() @IsInt() seed?: number;
  @IsOptional() @IsNumber() @Min(-2) @Max(2) presence_penalty?: number;
  @IsOptional() @IsNumber() @Min(-2) @Max(2) frequency_penalty?: number;
  @IsOptional()
  @ValidateNested()
  @Type(() => ResponseFormatDto)
  response_format?: ResponseFormatDto;
  @IsOptional() @IsBoolean() stream?: boolean;
  @IsOptional() @ValidateNested() @Type(() => StreamOptionsDto) stream_options?: StreamOptionsDto;
  /** Only one choice is supported. */
  @IsOptional() @IsIn([1], { message: 'n must be 1 (one choice per request)' }) n?: number;
  /** Accepted for compatibility; not forwarded to providers. */
  @IsOptional() @IsString() @MaxLength(256) user?: string;

  // Known OpenAI fields that change nothing here: accepted, and named in x-llm-warning.
  @IsOptional() @IsBoolean() store?: boolean;
  @IsOptional() @IsObject() metadata?: Record<string, unknown>;
  @IsOptional() @IsBoolean() parallel_tool_calls?: boolean;
  @IsOptional() @IsString() @MaxLength(64) service_tier?: string;
  @IsOptional() @IsString() @MaxLength(256) prompt_cache_key?: string;
  @IsOptional() @IsString() @MaxLength(256) safety_identifier?: string;
  @IsOptional()
  @IsIn([false], { message: 'logprobs are not supported (false is accepted)' })
  logprobs?: boolean;
  /** Mapped to each provider's thinking control: minimal → off, low → low, medium and high → the provider's default. */
  @IsOptional() @IsIn(['minimal', 'low', 'medium', 'high']) reasoning_effort?: string;

  @IsOptional()
  @IsArray()
  @ArrayMaxSize(128)
  @ValidateNested({ each: true })
  @Type(() => ToolDto)
  tools?: ToolDto[];
  @IsOptional()
  @IsToolChoice()
  tool_choice?: 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

  /** Extension: the routes to try after `model`, in order (`provider:model`). */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  fallbacks?: string[];
}
