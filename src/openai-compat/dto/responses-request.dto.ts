import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  MaxLength,
  Min,
  ValidateBy,
  ValidateNested,
  ValidationOptions,
} from 'class-validator';

/** `input`: a string, or a list of input items (checked item by item when translated). */
function IsResponsesInput(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isResponsesInput',
      validator: {
        validate: (value: unknown) =>
          (typeof value === 'string' && value.length <= 1_000_000) ||
          (Array.isArray(value) &&
            value.length > 0 &&
            value.length <= 500 &&
            value.every((item) => typeof item === 'object' && item !== null)),
        defaultMessage: () => '$property must be a string or a non-empty list of input items',
      },
    },
    options,
  );
}

export class ResponsesTextFormatDto {
  @IsIn(['text', 'json_object', 'json_schema']) type: 'text' | 'json_object' | 'json_schema';
  @IsOptional() @IsString() @Length(1, 64) name?: string;
  @IsOptional() @IsString() @MaxLength(1000) description?: string;
  @IsOptional() @IsObject() schema?: Record<string, unknown>;
  @IsOptional() @IsBoolean() strict?: boolean;
}

export class ResponsesTextDto {
  @IsOptional()
  @ValidateNested()
  @Type(() => ResponsesTextFormatDto)
  format?: ResponsesTextFormatDto;
  /** Accepted: the providers behind the gateway have no verbosity control. */
  @IsOptional() @IsIn(['low', 'medium', 'high']) verbosity?: string;
}

export class ResponsesToolDto {
  @IsString() type: string;
  @IsOptional() @IsString() @Length(1, 64) name?: string;
  @IsOptional() @IsString() @MaxLength(4000) description?: string;
  @IsOptional() @IsObject() parameters?: Record<string, unknown>;
  @IsOptional() @IsBoolean() strict?: boolean;
}

export class ResponsesReasoningDto {
  @IsOptional() @IsIn(['minimal', 'low', 'medium', 'high']) effort?: string;
  @IsOptional() @IsString() summary?: string;
}

/** The Responses API request, as far as this service honours it (see README); unknown fields are a 400. */
export class ResponsesRequestDto {
  /** `provider:model` or `default`. */
  @IsString() @Length(1, 200) model: string;
  @IsResponsesInput() input: string | Array<Record<string, unknown>>;
  @IsOptional() @IsString() @MaxLength(100_000) instructions?: string;
  @IsOptional() @ValidateNested() @Type(() => ResponsesTextDto) text?: ResponsesTextDto;
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(128)
  @ValidateNested({ each: true })
  @Type(() => ResponsesToolDto)
  tools?: ResponsesToolDto[];
  @IsOptional() @Allow() tool_choice?: unknown;
  @IsOptional() @IsBoolean() stream?: boolean;
  @IsOptional() @IsInt() @Min(1) @Max(200_000) max_output_tokens?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(2) temperature?: number;
  @IsOptional() @IsNumber() @Min(0) @Max(1) top_p?: number;
  @IsOptional()
  @ValidateNested()
  @Type(() => ResponsesReasoningDto)
  reasoning?: ResponsesReasoningDto;
  /** Needs stored responses, which this gateway does not keep: a 400 that says to send the whole input. */
  @IsOptional() @IsString() previous_response_id?: string;

  // Known fields that change nothing here (named in x-llm-warning).
  @IsOptional() @IsBoolean() store?: boolean;
  @IsOptional() @IsObject() metadata?: Record<string, unknown>;
  @IsOptional() @IsString() @MaxLength(256) user?: string;
  @IsOptional() @IsBoolean() parallel_tool_calls?: boolean;
  @IsOptional() @IsIn(['auto', 'disabled']) truncation?: string;
  @IsOptional() @IsArray() include?: string[];
  @IsOptional() @IsString() @MaxLength(64) service_tier?: string;
  @IsOptional() @IsString() @MaxLength(256) prompt_cache_key?: string;
  @IsOptional() @IsString() @MaxLength(256) safety_identifier?: string;

  /** Extension: the routes to try after `model`, in order (`provider:model`). */
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsString({ each: true })
  @MaxLength(200, { each: true })
  fallbacks?: string[];
}
