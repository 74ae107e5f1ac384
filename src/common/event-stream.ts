import type { ServerResponse } from 'node:http';
import { Global, Inject, Injectable, Module } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { SERVER_CONFIG, ServerConfig } from '../config/server.config';

/** How an event stream ended: written to its end, its reader gone, or its reader too slow to keep up. */
export type StreamEnd = 'finished' | 'client_closed' | 'slow_reader';

export interface EventStreamOptions {
  /** How long a write that filled the socket's buffer waits for the reader before the stream is ended. */
  drainTimeoutMs: number;
  /** Bytes of frames waiting behind a full socket before the reader counts as too slow (memory held per stream). */
  maxQueuedBytes: number;
  /** A comment line this often keeps proxies from closing a quiet stream. */
  heartbeatMs?: number;
  onEnd?: (how: StreamEnd) => void;
}

/**
 * The one server-sent-event writer, over Node's own response (any HTTP framework's raw response). Writes wait for a
 * slow reader: when the socket's buffer is full, the next frame waits for `drain`, at most `drainTimeoutMs`, and
 * frames queued meanwhile are bounded by `maxQueuedBytes`; past either bound the stream is ended (`slow_reader`), so
 * a reader that stops reading never makes the process buffer a whole answer. `signal` fires when the reader is gone
 * or too slow: a producer stops there.
 */
export class EventStreamWriter {
  private readonly stopped = new AbortController();
  private chain: Promise<boolean> = Promise.resolve(true);
  private queuedBytes = 0;
  private how: StreamEnd | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly response: ServerResponse,
    private readonly options: EventStreamOptions,
  ) {
    response.once('close', () =>
      this.finish(response.writableFinished ? 'finished' : 'client_closed'),
    );
  }

  /** Fires when the reader left or was too slow. */
  get signal(): AbortSignal {
    return this.stopped.signal;
  }

  get open(): boolean {
    return this.how === undefined && !this.response.destroyed;
  }

  /** How the stream ended, once it has. */
  get ended(): StreamEnd | undefined {
    return this.how;
  }

  /** Sends the status and headers now: `headers`, then the event-stream ones (no caching, no proxy buffering). */
  start(headers: Record<string, string> = {}, status = 200): void {
    for (const [name, value] of Object.entries(headers)) this.response.setHeader(name, value);
    this.response.statusCode = status;
    this.response.setHeader('content-type', 'text/event-stream; charset=utf-8');
    this.response.setHeader('cache-control', 'no-cache, no-transform');
    this.response.setHeader('x-accel-buffering', 'no');
    this.response.flushHeaders();
    const every = this.options.heartbeatMs;
    if (every) this.heartbeat = setInterval(() => void this.comment('keep-alive'), every).unref();
  }

  /** One event: `data` as JSON, with an `event:` name when given. Resolves false once the stream is over. */
  send(data: unknown, event?: string): Promise<boolean> {
    const name = event === undefined ? '' : `event: ${event}\n`;
    return this.write(`${name}data: ${JSON.stringify(data)}\n\n`);
  }

  /** A raw `data:` line (OpenAI's `[DONE]`). */
  data(text: string): Promise<boolean> {
    return this.write(`data: ${text}\n\n`);
  }

  /** A comment line, which readers skip. */
  comment(text: string): Promise<boolean> {
    return this.write(`: ${text.replace(/[\r\n]+/g, ' ')}\n\n`);
  }

  /** Ends the stream once what was sent is written. */
  async end(): Promise<void> {
    await this.chain;
    clearInterval(this.heartbeat);
    if (this.open && !this.response.writableEnded) this.response.end();
  }

  private write(frame: string): Promise<boolean> {
    if (!this.open) return Promise.resolve(false);
    const bytes = Buffer.byteLength(frame);
    this.queuedBytes += bytes;
    if (this.queuedBytes > this.options.maxQueuedBytes) {
      this.finish('slow_reader');
      return Promise.resolve(false);
    }
    this.chain = this.chain.then((written) => {
      this.queuedBytes -= bytes;
      if (!written || !this.open) return false;
      return this.response.write(frame) ? true : this.drained();
    });
    return this.chain;
  }

  /** Waits for the reader to take what is buffered: true when it did, false when it left or took too long. */
  private drained(): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (written: boolean) => {
        clearTimeout(timer);
        this.response.off('drain', onDrain);
        this.response.off('close', onClose);
        resolve(written);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => {
        this.finish('slow_reader');
        done(false);
      }, this.options.drainTimeoutMs);
      this.response.once('drain', onDrain);
      this.response.once('close', onClose);
    });
  }

  private finish(how: StreamEnd): void {
    if (this.how !== undefined) return;
    this.how = how;
    clearInterval(this.heartbeat);
    this.stopped.abort();
    // A reader that does not read gets no more of our memory: the connection goes, with what it buffered.
    if (how === 'slow_reader') this.response.destroy();
    this.options.onEnd?.(how);
  }
}

/** At most this many bytes of frames wait behind a full socket, per stream. */
const MAX_QUEUED_BYTES = 256 * 1024;

/** Opens event streams with the server's limits, and counts how they end. */
@Injectable()
export class EventStreams {
  private readonly ends: Counter<'how'>;

  constructor(
    registry: Registry,
    @Inject(SERVER_CONFIG) private readonly config: Pick<ServerConfig, 'streamDrainTimeoutMs'>,
  ) {
    this.ends = new Counter({
      name: 'http_event_streams_ended_total',
      help: 'Server-sent event streams by how they ended: finished, client_closed, or slow_reader (ended because the reader stopped reading)',
      labelNames: ['how'],
      registers: [registry],
    });
  }

  open(response: ServerResponse, options: { heartbeatMs?: number } = {}): EventStreamWriter {
    return new EventStreamWriter(response, {
      drainTimeoutMs: this.config.streamDrainTimeoutMs,
      maxQueuedBytes: MAX_QUEUED_BYTES,
      heartbeatMs: options.heartbeatMs,
      onEnd: (how) => this.ends.inc({ how }),
    });
  }
}

/** Provides `EventStreams` to every controller that streams. */
@Global()
@Module({ providers: [EventStreams], exports: [EventStreams] })
export class EventStreamModule {}
