import { BadRequestException, HttpException, HttpStatus } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';

/** JSON nested deeper than this is refused before anything walks it (class-transformer would overflow the stack). */
export const MAX_JSON_DEPTH = 32;

/** C0 control characters and DEL, except tab, line feed and carriage return (which text may carry). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

function isJson(request: Request): boolean {
  const type = request.headers['content-type'];
  return type !== undefined && /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type);
}

function hasBody(request: Request): boolean {
  const length = request.headers['content-length'];
  return (
    (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined
  );
}

/**
 * What the first problem in a parsed JSON body is: nesting deeper than MAX_JSON_DEPTH, or a string (key or value)
 * with a control character. Iterative, so a hostile body cannot overflow the stack here either.
 */
export function jsonBodyProblem(body: unknown): string | undefined {
  const pending: Array<{ value: unknown; depth: number; path: string }> = [
    { value: body, depth: 0, path: 'body' },
  ];
  while (pending.length > 0) {
    const { value, depth, path } = pending.pop()!;
    if (typeof value === 'string') {
      if (CONTROL_CHARACTERS.test(value)) return `${path} contains a control character`;
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_JSON_DEPTH)
      return `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`;
    for (const [key, child] of Object.entries(value)) {
      if (CONTROL_CHARACTERS.test(key)) return `${path} has a key with a control character`;
      pending.push({
        value: child,
        depth: depth + 1,
        path: Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`,
      });
    }
  }
  return undefined;
}

/**
 * Runs after the JSON body parser: bodies that are not JSON are refused with 415 (only JSON is parsed at all), and
 * JSON that is too deep or carries control characters with 400, before validation or any handler sees it.
 */
export function jsonBodyMiddleware(
  request: Request,
  _response: Response,
  next: NextFunction,
): void {
  if (BODY_METHODS.has(request.method) && hasBody(request) && !isJson(request)) {
    return next(
      new HttpException(
        'Only JSON bodies are accepted: send Content-Type: application/json',
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      ),
    );
  }
  const problem = request.body === undefined ? undefined : jsonBodyProblem(request.body);
  next(problem ? new BadRequestException(problem) : undefined);
}
