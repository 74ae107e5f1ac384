import {
  BadRequestException,
  HttpException,
  HttpStatus,
  PayloadTooLargeException,
} from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** JSON nested deeper than this is refused before anything walks it. */
export const MAX_JSON_DEPTH = 32;
/** Keys one object may have (a wide object makes validation and transformation slow). */
export const MAX_KEYS_PER_OBJECT = 1_000;
/** Values (objects, arrays, strings, numbers, …) one body may hold in all. */
export const MAX_JSON_NODES = 100_000;

/** C0 control characters and DEL, except tab, line feed and carriage return (which text may carry). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

/**
 * The first problem in a parsed JSON body: nesting deeper than MAX_JSON_DEPTH, an object wider than
 * MAX_KEYS_PER_OBJECT, more than MAX_JSON_NODES values, or a string (key or value) with a control character.
 * Iterative and linear in the body's size, so a hostile body can neither overflow the stack nor stall the process.
 */
export function jsonBodyProblem(body: unknown): string | undefined {
  const pending: Array<{ value: unknown; depth: number; path: string }> = [
    { value: body, depth: 0, path: 'body' },
  ];
  let nodes = 0;
  while (pending.length > 0) {
    const { value, depth, path } = pending.pop()!;
    nodes += 1;
    if (nodes > MAX_JSON_NODES) return `the JSON body holds more than ${MAX_JSON_NODES} values`;
    if (typeof value === 'string') {
      if (CONTROL_CHARACTERS.test(value)) return `${path} contains a control character`;
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_JSON_DEPTH)
      return `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`;
    const isArray = Array.isArray(value);
    const keys = Object.keys(value);
    if (!isArray && keys.length > MAX_KEYS_PER_OBJECT)
      return `${path} has more than ${MAX_KEYS_PER_OBJECT} keys`;
    for (const key of keys) {
      if (!isArray && CONTROL_CHARACTERS.test(key))
        return `${path} has a key with a control character`;
      pending.push({
        value: (value as Record<string, unknown>)[key],
        depth: depth + 1,
        path: isArray ? `${path}[${key}]` : `${path}.${key}`,
      });
    }
  }
  return undefined;
}

export interface JsonBodyLimits {
  /** The largest body any route takes (bytes): what the parser reads at most. */
  maxBytes: number;
  /** The largest body a route takes (bytes), by its path pattern (`/v1/chat/completions`). */
  routeLimit(route: string | undefined): number;
}

const byteSizes: Record<string, number> = { kb: 1024, mb: 1024 * 1024 };

/** `100kb`, `1mb` as bytes. */
export function parseByteSize(text: string): number {
  const match = /^(\d+)(kb|mb)$/.exec(text);
  if (!match) throw new Error(`not a size: ${text}`);
  return Number(match[1]) * byteSizes[match[2]];
}

function tooLarge(limit: number): HttpException {
  return new PayloadTooLargeException(
    `The request body is too large: this endpoint takes at most ${limit} bytes`,
  );
}

/**
 * The only body the service reads: JSON (`application/json`, `application/*+json`), up to the route's own limit, then
 * checked by `jsonBodyProblem` before validation or any handler sees it. A declared length over the route's limit is
 * refused before a byte of the body is read; any other content type is a 415.
 */
export function registerJsonBody(fastify: FastifyInstance, limits: JsonBodyLimits): void {
  fastify.removeAllContentTypeParsers();
  fastify.addHook('onRequest', (request, _reply, done) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    const limit = limits.routeLimit(request.routeOptions.url);
    done(declared > limit ? tooLarge(limit) : undefined);
  });
  const parse = (
    request: FastifyRequest,
    body: string,
    done: (error: Error | null, value?: unknown) => void,
  ) => {
    const limit = limits.routeLimit(request.routeOptions.url);
    if (Buffer.byteLength(body) > limit) return done(tooLarge(limit));
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      return done(new BadRequestException('The request body is not valid JSON'));
    }
    const problem = jsonBodyProblem(parsed);
    done(problem ? new BadRequestException(problem) : null, parsed);
  };
  const options = { parseAs: 'string' as const, bodyLimit: limits.maxBytes };
  fastify.addContentTypeParser('application/json', options, parse);
  fastify.addContentTypeParser(/^application\/[\w.+-]+\+json$/, options, parse);
  fastify.addContentTypeParser('*', (_request, _payload, done) =>
    done(
      new HttpException(
        'Only JSON bodies are accepted: send Content-Type: application/json',
        HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      ),
    ),
  );
}
