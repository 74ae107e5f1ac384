/** Malformed provider stream events seen, per provider (read by the metrics). */
export class MalformedEventTally {
  private readonly counts = new Map<string, number>();

  add(provider: string): void {
    this.counts.set(provider, (this.counts.get(provider) ?? 0) + 1);
  }

  entries(): Array<[string, number]> {
    return [...this.counts.entries()];
  }
}

/** Whether one server-sent event carries data that is neither JSON nor OpenAI's `[DONE]` sentinel. */
function malformed(event: string): boolean {
  const data = event
    .split(/\r?\n/)
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).replace(/^ /, ''))
    .join('\n');
  if (data.length === 0 || data === '[DONE]') return false;
  try {
    JSON.parse(data);
    return false;
  } catch {
    return true;
  }
}

const EVENT_END = /\r?\n\r?\n/;

/**
 * Drops server-sent events whose data is not JSON from a provider's event stream, before the SDK parses it: one
 * corrupted event (a proxy or CDN rewriting bodies) would otherwise end the SDK's stream with a parse error and lose
 * the rest of a good answer. Every dropped event is counted; the stream goes on. Other responses pass untouched.
 */
export function sanitizingSse(baseFetch: typeof fetch, onDropped: () => void): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, init);
    const type = response.headers.get('content-type') ?? '';
    if (!response.body || !type.includes('text/event-stream')) return response;
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    let pending = '';
    const events = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        pending += decoder.decode(chunk, { stream: true });
        for (let match = EVENT_END.exec(pending); match; match = EVENT_END.exec(pending)) {
          const end = match.index + match[0].length;
          const event = pending.slice(0, end);
          pending = pending.slice(end);
          if (malformed(event)) onDropped();
          else controller.enqueue(encoder.encode(event));
        }
      },
      flush(controller) {
        pending += decoder.decode();
        if (pending.length > 0 && !malformed(pending)) controller.enqueue(encoder.encode(pending));
      },
    });
    return new Response(response.body.pipeThrough(events), {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}
