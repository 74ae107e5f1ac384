import helmet, { HelmetOptions } from 'helmet';

export type HeaderChange = { name: string; value: string | undefined };

/**
 * What helmet does to every answer with these options, recorded once at boot by running it against a recording
 * response. With the content security policy off, helmet reads nothing from the request: it sets the same headers
 * on every answer and removes `X-Powered-By`.
 */
export function recordHelmetHeaders(options: HelmetOptions): HeaderChange[] {
  const changes: HeaderChange[] = [];
  const recorder = {
    setHeader: (name: string, value: string) => changes.push({ name, value: String(value) }),
    removeHeader: (name: string) => changes.push({ name, value: undefined }),
  };
  let completed = false;
  helmet(options)({} as never, recorder as never, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error('helmet failed');
    completed = true;
  });
  // Helmet's own middlewares are synchronous; if a future one is not, the recorded list would be partial.
  if (!completed)
    throw new Error('helmet did not finish synchronously: its headers cannot be recorded');
  return changes;
}

/** Applies recorded header changes to a response (Node's own, under any framework). */
export function applyHeaderChanges(
  response: {
    setHeader(name: string, value: string): unknown;
    removeHeader(name: string): unknown;
  },
  changes: readonly HeaderChange[],
): void {
  for (const { name, value } of changes) {
    if (value === undefined) response.removeHeader(name);
    else response.setHeader(name, value);
  }
}
