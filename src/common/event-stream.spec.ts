import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { EventStreamWriter, StreamEnd } from './event-stream';

/** A response whose socket takes `capacity` bytes, then reports back-pressure until `drain()`. */
class FakeResponse extends EventEmitter {
  readonly written: string[] = [];
  readonly headers: Record<string, string> = {};
  statusCode = 0;
  destroyed = false;
  writableEnded = false;
  writableFinished = false;
  buffered = 0;
  constructor(private readonly capacity: number) {
    super();
  }
  setHeader(name: string, value: string) {
    this.headers[name] = value;
  }
  flushHeaders() {}
  write(frame: string) {
    this.written.push(frame);
    this.buffered += frame.length;
    return this.buffered < this.capacity;
  }
  drain() {
    this.buffered = 0;
    this.emit('drain');
  }
  end() {
    this.writableEnded = this.writableFinished = true;
    this.emit('close');
  }
  destroy() {
    this.destroyed = true;
    this.emit('close');
  }
}

function writerOver(capacity: number, limits = { drainTimeoutMs: 1_000, maxQueuedBytes: 1_000 }) {
  const response = new FakeResponse(capacity);
  const ends: StreamEnd[] = [];
  const writer = new EventStreamWriter(response as unknown as ServerResponse, {
    ...limits,
    onEnd: (how) => ends.push(how),
  });
  return { response, writer, ends };
}

describe(EventStreamWriter.name, () => {
  afterEach(() => jest.useRealTimers());

  it('writes events and comments in the SSE format, with the event-stream headers', async () => {
    const { response, writer, ends } = writerOver(10_000);
    writer.start({ 'x-llm-route': 'openai:gpt-4o-mini' });
    expect(await writer.send({ a: 1 }, 'stage')).toBe(true);
    expect(await writer.data('[DONE]')).toBe(true);
    expect(await writer.comment('two\nlines')).toBe(true);
    await writer.end();
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(response.headers['x-llm-route']).toBe('openai:gpt-4o-mini');
    expect(response.written).toEqual([
      'event: stage\ndata: {"a":1}\n\n',
      'data: [DONE]\n\n',
      ': two lines\n\n',
    ]);
    expect(ends).toEqual(['finished']);
  });

  it('waits for drain when the socket is full, and goes on once the reader catches up', async () => {
    const { response, writer } = writerOver(30);
    writer.start();
    const first = writer.send('first frame is long enough');
    const second = writer.send('second');
    await new Promise((resolve) => setImmediate(resolve));
    expect(response.written).toHaveLength(1); // the second waits behind the full socket
    response.drain();
    expect(await first).toBe(true);
    expect(await second).toBe(true);
    expect(response.written).toHaveLength(2);
  });

  it('ends a stream whose reader does not drain within the timeout (slow_reader) and destroys its connection', async () => {
    jest.useFakeTimers();
    const { response, writer, ends } = writerOver(10, {
      drainTimeoutMs: 500,
      maxQueuedBytes: 10_000,
    });
    writer.start();
    const first = writer.send('a frame longer than ten bytes');
    await jest.advanceTimersByTimeAsync(499);
    expect(ends).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(await first).toBe(false);
    expect(ends).toEqual(['slow_reader']);
    expect(response.destroyed).toBe(true);
    expect(writer.signal.aborted).toBe(true);
    expect(await writer.send('more')).toBe(false);
  });

  it('bounds what may queue behind a full socket: past maxQueuedBytes the reader is too slow', async () => {
    const { writer, ends } = writerOver(10, { drainTimeoutMs: 60_000, maxQueuedBytes: 100 });
    writer.start();
    void writer.send('x'.repeat(20)); // fills the socket
    const sends = Array.from({ length: 10 }, () => writer.send('y'.repeat(20)));
    expect(ends).toEqual(['slow_reader']);
    expect((await Promise.all(sends)).at(-1)).toBe(false);
  });

  it('a reader that closes the connection is client_closed', () => {
    const { response, writer, ends } = writerOver(10_000);
    writer.start();
    response.emit('close');
    expect(ends).toEqual(['client_closed']);
    expect(writer.open).toBe(false);
  });
});
