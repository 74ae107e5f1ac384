import { ErrorAnswer, ErrorBody } from './error-answer';

/** Paths served in OpenAI's error shape (the gateway), also for errors raised before routing. */
export function isGatewayPath(path: string): boolean {
  return path === '/v1' || path.startsWith('/v1/');
}

function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 429) return 'rate_limit_error';
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

/** The field a validation message is about: `messages.0.role must be…`, `property tools should not exist`. */
function paramOf(message: string | undefined): string | null {
  if (!message) return null;
  const unknown = /^(?:(\S+)\.)?property (\S+) should not exist/.exec(message);
  if (unknown) return unknown[1] ? `${unknown[1]}.${unknown[2]}` : unknown[2];
  return /^([A-Za-z_][\w.[\]]*)\s/.exec(message)?.[1] ?? null;
}

/**
 * The same answer in OpenAI's error shape: `{error: {message, type, param, code}}`, plus the attempts of an
 * all-routes failure. `param`/`code` come from the exception when it carries them (OpenAiRequestError), else from
 * the domain error's code.
 */
export function toOpenAiError(
  answer: ErrorAnswer,
  exception: unknown,
): { error: Record<string, unknown> } {
  const body: ErrorBody = answer.body;
  const carried = (exception ?? {}) as { param?: unknown; code?: unknown };
  const messages = Array.isArray(body.message) ? body.message : [body.message];
  const param =
    typeof carried.param === 'string'
      ? carried.param
      : body.statusCode === 400
        ? paramOf(messages[0])
        : null;
  const code = typeof carried.code === 'string' ? carried.code : (answer.code ?? null);
  return {
    error: {
      message: messages.join('; '),
      type: openAiErrorType(body.statusCode),
      param,
      code,
      ...(body.attempts ? { attempts: body.attempts } : {}),
      ...(body.requestId ? { request_id: body.requestId } : {}),
    },
  };
}
