import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Answer } from './dialect';

/** The largest request body the simulator reads (a provider refuses larger ones too). */
const MAX_REQUEST_BYTES = 16 * 1024 * 1024;

/** A request's body as text, refused past MAX_REQUEST_BYTES. */
export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    request.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > MAX_REQUEST_BYTES) {
        request.pause();
        reject(new Error('request too large'));
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/** A JSON answer with its status and headers (nothing when the client is gone). */
export function send(response: ServerResponse, answer: Answer): void {
  if (response.destroyed) return;
  const payload = JSON.stringify(answer.body);
  response.writeHead(answer.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...answer.headers,
  });
  response.end(payload);
}
