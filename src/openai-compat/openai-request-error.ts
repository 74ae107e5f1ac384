import { BadRequestException } from '@nestjs/common';

/** A 400 in OpenAI's error format: `param` names the offending field. */
export class OpenAiRequestError extends BadRequestException {
  constructor(
    message: string,
    readonly param: string | null,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}
