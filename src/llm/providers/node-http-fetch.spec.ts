import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { nodeHttpFetch, proxyFromEnvironment } from './node-http-fetch';

type Handler = (request: http.IncomingMessage, response: http.ServerResponse, body: string) => void;

describe('nodeHttpFetch', () => {
  let server: http.Server;
  let base: string;
  let handler: Handler;
  let connections = 0;
  const fetchFn = nodeHttpFetch(() => Promise.reject(new Error('fallback used')), {});

  beforeAll(async () => {
    server = http.createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => handler(request, response, body));
    });
    server.on('connection', () => (connections += 1));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });

  it('sends method, headers and body, and answers status, headers and body; connections are kept alive', async () => {
    handler = (request, response, body) => {
      response.writeHead(201, 'Created', { 'content-type': 'application/json', 'x-echo': 'yes' });
      response.end(
        JSON.stringify({
          method: request.method,
          headers: request.headers,
          body: JSON.parse(body),
        }),
      );
    };
    const before = connections;
    for (let i = 0; i < 3; i += 1) {
      const response = await fetchFn(`${base}/v1/chat`, {
        method: 'POST',
        headers: new Headers({ 'Content-Type': 'application/json', authorization: 'Bearer k' }),
        body: JSON.stringify({ n: i }),
      });
      expect(response.status).toBe(201);
      expect(response.statusText).toBe('Created');
      expect(response.ok).toBe(true);
      expect(response.headers.get('x-echo')).toBe('yes');
      const echoed = (await response.json()) as {
        method: string;
        headers: Record<string, string>;
        body: unknown;
      };
      expect(echoed.method).toBe('POST');
      expect(echoed.body).toEqual({ n: i });
      expect(echoed.headers).toMatchObject({
        'content-type': 'application/json',
        authorization: 'Bearer k',
        'content-length': String(JSON.stringify({ n: i }).length),
      });
    }
    expect(connections - before).toBe(1);
  });

  it('streams the body as it arrives', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: one\n\n');
      void released.then(() => response.end('data: two\n\n'));
    };
    const response = await fetchFn(`${base}/stream`, { method: 'POST', body: '{}' });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    expect(decoder.decode((await reader.read()).value)).toBe('data: one\n\n');
    release();
    expect(decoder.decode((await reader.read()).value)).toBe('data: two\n\n');
    expect((await reader.read()).done).toBe(true);
  });

  it("rejects with the signal's reason when aborted before the answer, and ends a body being read with it", async () => {
    handler = () => undefined; // never answers
    const early = new AbortController();
    const pending = fetchFn(`${base}/hang`, { method: 'POST', body: '{}', signal: early.signal });
    const reason = new Error('attempt timed out');
    early.abort(reason);
    await expect(pending).rejects.toBe(reason);

    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('data: one\n\n');
    };
    const late = new AbortController();
    const response = await fetchFn(`${base}/stream`, { signal: late.signal });
    const reader = response.body!.getReader();
    await reader.read();
    const lateReason = new Error('caller left');
    late.abort(lateReason);
    await expect(reader.read()).rejects.toBe(lateReason);

    const already = new AbortController();
    already.abort(reason);
    await expect(fetchFn(`${base}/x`, { signal: already.signal })).rejects.toBe(reason);
  });

  it('reads a JSON answer whole: an abort or a cut connection before its end rejects the fetch itself', async () => {
    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"partial":');
    };
    const waiting = new AbortController();
    const pending = fetchFn(`${base}/slow-json`, { signal: waiting.signal });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const reason = new Error('attempt timed out');
    waiting.abort(reason);
    await expect(pending).rejects.toBe(reason);

    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      response.write('{"partial":', () => response.socket?.destroy());
    };
    const cut = (await fetchFn(`${base}/cut-json`).catch((error: unknown) => error)) as Error;
    expect(cut).toBeInstanceOf(TypeError);
    expect(cut.message).toBe('fetch failed');

    handler = (_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json', 'x-one': 'a' });
      response.end('{"whole":true}');
    };
    const whole = await fetchFn(`${base}/json`);
    expect([whole.status, whole.headers.get('x-one'), whole.body, await whole.json()]).toEqual([
      200,
      'a',
      null,
      { whole: true },
    ]);
  });

  it("reports network failures as fetch does: TypeError('fetch failed') with the cause", async () => {
    const closed = http.createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const port = (closed.address() as AddressInfo).port;
    closed.close();
    await once(closed, 'close');
    const failure = (await fetchFn(`http://127.0.0.1:${port}/`).catch(
      (error: unknown) => error,
    )) as (TypeError & { cause: { code?: string } }) | undefined;
    expect(failure).toBeInstanceOf(TypeError);
    expect(failure?.message).toBe('fetch failed');
    expect(failure?.cause.code).toBe('ECONNREFUSED');
  });

  it('decodes gzip and brotli bodies and gives statuses without a body a null body', async () => {
    for (const [coding, encode] of [
      ['gzip', zlib.gzipSync],
      ['br', zlib.brotliCompressSync],
    ] as const) {
      handler = (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json', 'content-encoding': coding });
        response.end(encode(Buffer.from('{"ok":true}')));
      };
      expect(await (await fetchFn(`${base}/z`)).json()).toEqual({ ok: true });
    }
    handler = (_request, response) => {
      response.writeHead(204);
      response.end();
    };
    const empty = await fetchFn(`${base}/empty`, { method: 'DELETE' });
    expect(empty.status).toBe(204);
    expect(empty.body).toBeNull();
  });

  it("leaves what it does not handle to Node's fetch, and everything when a proxy is configured", async () => {
    const fallback = jest.fn(() => Promise.resolve(new Response('from fallback')));
    const withFallback = nodeHttpFetch(fallback as typeof fetch, {});
    const form = new FormData();
    form.set('a', 'b');
    await withFallback(`${base}/form`, { method: 'POST', body: form });
    await withFallback(new Request(`${base}/request`));
    await withFallback('data:text/plain,hi');
    expect(fallback).toHaveBeenCalledTimes(3);

    expect(nodeHttpFetch(fallback as typeof fetch, { HTTPS_PROXY: 'http://proxy:3128' })).toBe(
      fallback,
    );
    expect(proxyFromEnvironment({ NODE_USE_ENV_PROXY: '1' })).toBe(true);
    expect(proxyFromEnvironment({})).toBe(false);
  });

  it('speaks HTTPS: an untrusted certificate is refused, a trusted one answers over a kept-alive connection', async () => {
    const tls = join(__dirname, '../../../test/fixtures/tls');
    const secure = https.createServer(
      {
        key: readFileSync(join(tls, 'localhost.key')),
        cert: readFileSync(join(tls, 'localhost.crt')),
      },
      (_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"secure":true}');
      },
    );
    let tlsConnections = 0;
    secure.on('secureConnection', () => (tlsConnections += 1));
    secure.listen(0, '127.0.0.1');
    await once(secure, 'listening');
    const url = `https://127.0.0.1:${(secure.address() as AddressInfo).port}/`;
    try {
      // The certificate is self-signed: refused, as Node's fetch refuses it.
      const refused = (await fetchFn(url).catch((error: unknown) => error)) as TypeError & {
        cause: { code?: string };
      };
      expect(refused).toBeInstanceOf(TypeError);
      expect(refused.cause.code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
      // A process that trusts it (NODE_EXTRA_CA_CERTS, as for a private CA) is answered, over one kept-alive connection.
      const script = [
        `const { nodeHttpFetch } = await import(${JSON.stringify(join(__dirname, 'node-http-fetch.ts'))});`,
        'const fetchOverTls = nodeHttpFetch(undefined, {});',
        'const answers = [];',
        'for (let i = 0; i < 2; i += 1) answers.push(await (await fetchOverTls(process.argv[1])).json());',
        'console.log(JSON.stringify(answers));',
      ].join('\n');
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON',
          '--input-type=module',
          '-e',
          script,
          url,
        ],
        { env: { ...process.env, NODE_EXTRA_CA_CERTS: join(tls, 'localhost.crt') } },
      );
      expect(JSON.parse(stdout)).toEqual([{ secure: true }, { secure: true }]);
      expect(tlsConnections).toBe(1);
    } finally {
      secure.closeAllConnections();
      secure.close();
    }
  });
});
