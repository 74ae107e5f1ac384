import { request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';
import { OPENAI, startTestApp, TestApp } from './support/test-app';

/** About 24 MB of answer: far more than the kernel's socket buffers hold for a reader that does not read. */
const ANSWER = 'word '.repeat(4_800_000);

/**
 * Opens a streamed /v1 call on a raw socket and reads nothing until `readWhen` resolves; then counts what arrives
 * until the stream ends.
 */
function pausedReader(
  port: number,
  readWhen: () => Promise<unknown>,
): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({
      model: OPENAI,
      stream: true,
      messages: [{ role: 'user', content: 'Write a long answer' }],
    });
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/chat/completions',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (incoming) => {
        incoming.pause();
        let bytes = 0;
        void readWhen().then(() => {
          incoming.on('data', (chunk: Buffer) => (bytes += chunk.length));
          incoming.resume();
        });
        const done = () => resolve({ status: incoming.statusCode ?? 0, bytes });
        incoming.on('end', done);
        incoming.on('error', done);
        incoming.on('aborted', done);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const metric = async (t: TestApp, pattern: RegExp) =>
  Number(pattern.exec((await t.http().get('/metrics')).text)?.[1] ?? 0);

const SLOW_READERS = /http_event_streams_ended_total\{how="slow_reader"\} (\d+)/;

/** Resolves once `condition` holds (polled; the test's own timeout bounds it, no wall-clock assertion). */
async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('A reader that stops reading an event stream', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    // Every call is sent an output limit: one above the answer's size (about 6 million tokens).
    t = await startTestApp({ STREAM_DRAIN_TIMEOUT_MS: '300', LLM_MAX_OUTPUT_TOKENS: '10000000' });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  it('is cut off after the drain timeout: the stream ends, is counted as slow_reader, and the service keeps serving', async () => {
    t.simulator.always(OPENAI, { fault: 'ok', text: ANSWER });

    // The reader reads nothing until the service has given up on it.
    const slow = await pausedReader(port, () =>
      until(async () => (await metric(t, SLOW_READERS)) > 0),
    );

    expect(slow.status).toBe(200);
    // What the reader got is what sat in the socket buffers when the stream was cut: a small part of the answer.
    expect(slow.bytes).toBeLessThan(ANSWER.length / 3);
    expect(await metric(t, SLOW_READERS)).toBe(1);
    // The LLM layer saw a caller that left: the request is counted once, as client_aborted, and charged.
    expect(
      await metric(t, /llm_request_duration_seconds_count\{outcome="client_aborted"\} (\d+)/),
    ).toBe(1);
    await t.http().get('/health/live').expect(200);

    // A reader that keeps up gets the whole answer from the same service.
    const steady = await pausedReader(port, async () => undefined);
    expect(steady.bytes).toBeGreaterThan(ANSWER.length);
    expect(await metric(t, /http_event_streams_ended_total\{how="finished"\} (\d+)/)).toBe(1);
  }, 120_000);
});
