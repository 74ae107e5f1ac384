import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';

/** Idle keep-alive connections are closed after this (undici's own default), before servers close them under us. */
const IDLE_SOCKET_MS = 4_000;

/** Statuses whose responses have no body (fetch's null-body statuses). */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

type Body = string | Uint8Array | ArrayBuffer;

function isPlainBody(body: unknown): body is Body | null | undefined {
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof Uint8Array ||
    body instanceof ArrayBuffer
  );
}

/**
 * A provider's whole JSON answer, read before it is handed to the SDK. The SDKs read a plain (unstreamed) answer
 * with `text()` or `json()` and look at `ok`, `status`, `statusText`, `url` and `headers` (`get`, `entries`,
 * `forEach`); a WHATWG `Response` around a web stream costs several objects and promise hops per call for the same.
 * This answers those, `clone()` and `arrayBuffer()`, and has no `body` stream (`null`, as a body already read would
 * leave nothing to stream): the SDKs only stream answers sent as event streams, which keep the real `Response`.
 * `buffered-response.spec.ts` drives the three SDKs over it, so an SDK that starts needing more fails a test.
 */
export class BufferedResponse {
  readonly ok: boolean;
  readonly body = null;
  readonly redirected = false;
  readonly type = 'basic';
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly url: string;
  readonly #bytes: Buffer;
  #used = false;

  constructor(bytes: Buffer, status: number, statusText: string, headers: Headers, url: string) {
    this.#bytes = bytes;
    this.status = status;
    this.statusText = statusText;
    this.headers = headers;
    this.url = url;
    this.ok = status >= 200 && status <= 299;
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  text(): Promise<string> {
    return this.#read().then((bytes) => bytes.toString('utf8'));
  }

  json(): Promise<unknown> {
    return this.text().then((text) => JSON.parse(text) as unknown);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#read().then(
      (bytes) =>
        bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    );
  }

  bytes(): Promise<Uint8Array> {
    return this.#read().then((bytes) => new Uint8Array(bytes));
  }

  clone(): BufferedResponse {
    if (this.#used) throw new TypeError('Response.clone: Body has already been consumed.');
    return new BufferedResponse(this.#bytes, this.status, this.statusText, this.headers, this.url);
  }

  #read(): Promise<Buffer> {
    // fetch's contract: a body is read once.
    if (this.#used)
      return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    this.#used = true;
    return Promise.resolve(this.#bytes);
  }
}

/** Whether an answer with this content type is read whole: JSON, not an event stream. */
export function isBufferedType(contentType: string | null): boolean {
  if (!contentType) return false;
  const type = contentType.split(';', 1)[0].trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/** Whether Node's fetch would route through a proxy from the environment (then this fetch steps aside). */
export function proxyFromEnvironment(env: NodeJS.ProcessEnv): boolean {
  return (
    env.NODE_USE_ENV_PROXY === '1' ||
    ['HTTP_PROXY', 'HTTPS_PROXY', 'http_proxy', 'https_proxy'].some((name) => Boolean(env[name]))
  );
}

function nodeHeaders(headers: HeadersInit | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  const add = (value: string, name: string) => {
    const key = name.toLowerCase();
    result[key] = key in result ? `${result[key]}, ${value}` : value;
  };
  if (headers instanceof Headers) headers.forEach(add);
  else if (Array.isArray(headers)) for (const [name, value] of headers) add(value, name);
  else if (headers) for (const [name, value] of Object.entries(headers)) add(value, name);
  return result;
}

/** The body as sent, decoded the way fetch decodes it (gzip, deflate, br); other codings pass through. */
function decoded(incoming: http.IncomingMessage, encoding: string | null): Readable {
  const coding = encoding?.trim().toLowerCase();
  const decoder =
    coding === 'gzip' || coding === 'x-gzip'
      ? zlib.createGunzip({ flush: zlib.constants.Z_SYNC_FLUSH })
      : coding === 'deflate'
        ? zlib.createInflate({ flush: zlib.constants.Z_SYNC_FLUSH })
        : coding === 'br'
          ? zlib.createBrotliDecompress({ flush: zlib.constants.BROTLI_OPERATION_FLUSH })
          : undefined;
  if (!decoder) return incoming;
  incoming.on('error', (error) => decoder.destroy(error));
  return incoming.pipe(decoder);
}

/**
 * A `fetch` for the providers' SDKs on Node's own HTTP client with keep-alive agents. The SDKs accept any `fetch`;
 * Node's (undici's WHATWG fetch) spends about twice the CPU per call on building its Request, validating headers
 * and running the fetch algorithm's state machine, none of which a JSON API call needs (`npm run bench` measures the
 * service's CPU per call).
 *
 * It keeps fetch's contract where the SDKs depend on it: a `Response` with a streaming body (a plain JSON answer is
 * read whole first and answered as a `BufferedResponse`, which the SDKs read the same way), network errors as
 * `TypeError('fetch failed', { cause })`, an abort rejecting with the signal's reason (and ending a body being read
 * with it), gzip/deflate/br bodies decoded. It does not follow redirects (providers' APIs answer without them: a
 * 3xx reaches the SDK as an error status). Anything else (a `Request` object, a streamed or form body, a protocol
 * other than http/https) goes to `fallback`, Node's fetch; so does everything when a proxy is configured in the
 * environment, which Node's fetch honours.
 */
export function nodeHttpFetch(
  fallback: typeof fetch = globalThis.fetch,
  env: NodeJS.ProcessEnv = process.env,
): typeof fetch {
  if (proxyFromEnvironment(env)) return fallback;
  const agents = {
    'http:': new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
    'https:': new https.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS }),
  };
  return (input, init) => {
    const href = typeof input === 'string' ? input : input instanceof URL ? input.href : undefined;
    const target = href === undefined ? undefined : new URL(href);
    const body = init?.body;
    if (
      !target ||
      (target.protocol !== 'http:' && target.protocol !== 'https:') ||
      !isPlainBody(body)
    ) {
      return fallback(input, init);
    }
    return send(target, agents[target.protocol], init ?? {}, body);
  };
}

/** The whole body of `stream`. */
function readWhole(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    stream.once('error', reject);
    // A socket closed before the body ended ('aborted' on the message) ends in 'close' without 'end'.
    stream.once('close', () => reject(new Error('the connection closed before the answer ended')));
  });
}

function send(
  target: URL,
  agent: http.Agent,
  init: RequestInit,
  body: Body | null | undefined,
): Promise<Response> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(signal.reason as Error);
  const method = (init.method ?? 'GET').toUpperCase();
  const headers = nodeHeaders(init.headers);
  const payload = body instanceof ArrayBuffer ? new Uint8Array(body) : (body ?? undefined);
  if (payload !== undefined) headers['content-length'] = String(Buffer.byteLength(payload));
  return new Promise<Response>((resolve, reject) => {
    const request = (target.protocol === 'https:' ? https : http).request(target, {
      method,
      headers,
      agent,
    });
    let incoming: http.IncomingMessage | undefined;
    const onAbort = () => {
      const reason = signal!.reason as Error;
      reject(reason);
      // Ends a body being read with the same reason, as fetch does.
      if (incoming) incoming.destroy(reason);
      request.destroy();
    };
    const done = () => signal?.removeEventListener('abort', onAbort);
    signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (error) => {
      done();
      reject(new TypeError('fetch failed', { cause: error }));
    });
    request.on('response', (response) => {
      incoming = response;
      response.once('close', done);
      try {
        const answerHeaders = new Headers();
        const raw = response.rawHeaders;
        for (let i = 0; i < raw.length; i += 2) answerHeaders.append(raw[i], raw[i + 1]);
        const status = response.statusCode ?? 0;
        const init = { status, statusText: response.statusMessage ?? '', headers: answerHeaders };
        if (NULL_BODY_STATUSES.has(status) || method === 'HEAD') {
          response.resume();
          resolve(new Response(null, init));
          return;
        }
        const stream = decoded(response, answerHeaders.get('content-encoding'));
        if (isBufferedType(answerHeaders.get('content-type'))) {
          // A plain JSON answer is read whole here and answered without a web stream around it.
          readWhole(stream).then(
            (bytes) =>
              resolve(
                new BufferedResponse(
                  bytes,
                  status,
                  init.statusText,
                  answerHeaders,
                  target.href,
                ) as unknown as Response,
              ),
            (error: unknown) =>
              reject(
                signal?.aborted
                  ? (signal.reason as Error)
                  : new TypeError('fetch failed', { cause: error }),
              ),
          );
          return;
        }
        resolve(new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, init));
      } catch (error) {
        response.destroy();
        reject(new TypeError('fetch failed', { cause: error }));
      }
    });
    request.end(payload);
  });
}
