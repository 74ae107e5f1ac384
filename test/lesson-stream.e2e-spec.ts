import { AddressInfo } from 'node:net';
import { realmSafeFetch } from '../src/llm/providers/realm-safe-fetch';
import {
  ANTHROPIC,
  GEMINI_FALLBACK,
  OPENAI,
  PRIMARY,
  startTestApp,
  TestApp,
  uniqueProfile,
} from './support/test-app';

interface SseEvent {
  event: string;
  data: Record<string, any>;
}

const fetchSafe = realmSafeFetch();

/** Reads a server-sent-event body; `until` may stop reading (and disconnect) after an event. */
async function readEvents(
  response: Response,
  until?: (event: SseEvent) => boolean,
): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return events;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const name = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (!name || !data) continue;
      const event = { event: name, data: JSON.parse(data) as SseEvent['data'] };
      events.push(event);
      if (until?.(event)) {
        await reader.cancel();
        return events;
      }
    }
  }
}

describe('POST /lessons as server-sent events', () => {
  let t: TestApp;
  let base: string;
  let profileId: string;

  beforeAll(async () => {
    t = await startTestApp({ LLM_CIRCUIT_FAILURE_THRESHOLD: '100' });
    await t.app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    profileId = (await t.http().post('/profiles').send(uniqueProfile()).expect(201)).body.id;
  });
  afterAll(() => t.close());
  beforeEach(() => {
    t.simulator.reset();
    t.resetRouting();
  });

  let lessonCounter = 0;
  const lessons = [
    'l01-what-llms-are',
    'l02-how-answers-are-made',
    'l05-data-privacy',
    'l06-bias-and-fairness',
  ];
  /** A lesson request no earlier test made (a fresh difficulty × lesson pair). */
  const freshRequest = () => {
    lessonCounter += 1;
    return {
      courseId: 'llm-foundations',
      lessonId: lessons[lessonCounter % lessons.length],
      difficulty: 1 + (Math.floor(lessonCounter / lessons.length) % 5),
      profileId,
    };
  };
  const post = (
    body: object,
    init: { query?: string; signal?: AbortSignal; accept?: string } = {},
  ) =>
    fetchSafe(`${base}/lessons${init.query ?? '?stream=true'}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(init.accept ? { accept: init.accept } : {}),
      },
      body: JSON.stringify(body),
      signal: init.signal,
    });

  it('sends stages with their routes, slides while the generator is still writing, then done with the stored lesson', async () => {
    t.simulator.streamGapMs = 5; // the lesson arrives in several deltas
    const response = await post(freshRequest(), { query: '', accept: 'text/event-stream' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');

    const events = await readEvents(response);
    const names = events.map((event) => event.event);
    expect(events[0]).toEqual({
      event: 'stage',
      data: { stage: 'generating', provider: 'gemini', model: 'gemini-3-flash-preview' },
    });
    expect(names.at(-1)).toBe('done');
    const firstSlide = names.indexOf('slide');
    const reviewing = events.findIndex((event) => event.data.stage === 'reviewing');
    expect(firstSlide).toBeGreaterThan(0);
    expect(reviewing).toBeGreaterThan(firstSlide); // slides came out of the generator's stream, before its next step
    expect(events[reviewing].data).toMatchObject({
      provider: 'gemini',
      model: 'gemini-3-flash-preview',
    });

    const done = events.at(-1)!.data;
    expect(done.generation.cacheHit).toBe(false);
    const stored = await t.http().get(`/lessons/${done.id}`).expect(200);
    expect({ ...done, generation: { ...done.generation, cacheHit: true } }).toEqual(stored.body);
    // Every slide of the stored lesson was sent, the last version of each as it is stored.
    const lastSent = new Map(
      events
        .filter((e) => e.event === 'slide')
        .map((e) => [e.data.slide.slideNumber, e.data.slide]),
    );
    for (const slide of done.content.slides) expect(lastSent.get(slide.slideNumber)).toEqual(slide);
  });

  it('a cache hit sends done at once, and nothing reaches a provider', async () => {
    const request = freshRequest();
    const first = await post(request, { query: '' });
    const created = await first.json();
    t.simulator.reset();

    const events = await readEvents(await post(request));

    expect(events).toEqual([
      {
        event: 'done',
        data: { ...created, generation: { ...created.generation, cacheHit: true } },
      },
    ]);
    expect(t.simulator.attempts).toHaveLength(0);
  });

  it('a second caller joins the generation in flight: its events so far, then the rest, and one generation', async () => {
    t.simulator.streamGapMs = 20;
    const request = freshRequest();
    const firstResponse = await post(request);
    const first = readEvents(firstResponse);
    await new Promise((resolve) => setTimeout(resolve, 60)); // the first is generating
    const second = readEvents(await post(request));
    const [a, b] = await Promise.all([first, second]);

    const doneA = a.at(-1)!;
    const doneB = b.at(-1)!;
    expect([doneA.event, doneB.event]).toEqual(['done', 'done']);
    expect(doneB.data.id).toBe(doneA.data.id);
    expect(b.map((event) => event.event)).toEqual(a.map((event) => event.event));
    const attemptsOfOneGeneration = doneA.data.generation.calls.flatMap(
      (call: { attempts: unknown[] }) => call.attempts,
    );
    expect(t.simulator.attempts).toHaveLength(attemptsOfOneGeneration.length);
  });

  it('a caller that disconnects mid-generation does not cancel it: the lesson is finished and stored', async () => {
    t.simulator.streamGapMs = 20;
    const request = freshRequest();
    const controller = new AbortController();
    const events = await readEvents(
      await post(request, { signal: controller.signal }),
      (event) => event.event === 'slide',
    );
    controller.abort();
    const attemptsAtDisconnect = t.simulator.attempts.length;
    expect(events.at(-1)!.event).toBe('slide');

    // The same request as JSON: it joins the generation still running, or finds it stored; either way, no new one.
    const lesson = await t.http().post('/lessons').send(request).expect(201);

    const attemptsOfOneGeneration = lesson.body.generation.calls.flatMap(
      (call: { attempts: unknown[] }) => call.attempts,
    );
    expect(t.simulator.attempts).toHaveLength(attemptsOfOneGeneration.length);
    expect(t.simulator.attempts.length).toBeGreaterThan(attemptsAtDisconnect); // it went on after the caller left
    await t.http().get(`/lessons/${lesson.body.id}`).expect(200);
  });

  it('a stream cut mid-generation restarts on the chain: changed slides are sent again as replacements, then done', async () => {
    const request = freshRequest();
    const first = await readEvents(await post(request));
    const revised = structuredClone(first.at(-1)!.data.content);
    revised.slides[0].title = `${revised.slides[0].title} (revised)`;
    t.simulator.reset();
    t.simulator.streamGapMs = 5;
    t.simulator.script(PRIMARY, 'stream_cut'); // half the lesson streams, then the stream ends without its end
    t.simulator.script(GEMINI_FALLBACK, { fault: 'ok', json: revised }); // the restart writes a different slide 1

    const events = await readEvents(await post(request, { query: '?stream=true&refresh=true' }));

    const done = events.at(-1)!;
    expect(done.event).toBe('done');
    const generate = done.data.generation.calls[0];
    expect(generate.attempts.map((a: { outcome: string }) => a.outcome)).toEqual([
      'truncated',
      'success',
    ]);
    const slides = events.filter((event) => event.event === 'slide');
    const firstSlide = slides.filter((event) => event.data.slide.slideNumber === 1);
    expect(firstSlide.map((event) => [event.data.slide.title, event.data.replaces])).toEqual([
      [first.at(-1)!.data.content.slides[0].title, false], // from the stream that was cut
      [revised.slides[0].title, true], // the replacement
    ]);
    for (const slide of done.data.content.slides) {
      const last = slides
        .filter((event) => event.data.slide.slideNumber === slide.slideNumber)
        .at(-1);
      expect(last?.data.slide).toEqual(slide);
    }
  });

  it('a failure of every route ends in an error event with the JSON API’s 503 body and Retry-After as a field', async () => {
    for (const target of [PRIMARY, GEMINI_FALLBACK, OPENAI, ANTHROPIC])
      t.simulator.always(target, 'overloaded');

    const response = await post(freshRequest());
    const events = await readEvents(response);

    expect(events).toHaveLength(1);
    expect(events[0].event).toBe('error');
    expect(events[0].data).toMatchObject({
      statusCode: 503,
      error: 'Service Unavailable',
      retryAfterSeconds: 5,
    });
    expect(events[0].data.attempts).toHaveLength(4);
  });

  it('errors before the stream are error events too, with their HTTP status: unknown profile 404, bad body 400', async () => {
    const missing = await post({
      ...freshRequest(),
      profileId: '1b4e28ba-2fa1-4d2e-8c3b-6f2d1e7a9c10',
    });
    expect(missing.status).toBe(404);
    expect(await readEvents(missing)).toEqual([
      { event: 'error', data: expect.objectContaining({ statusCode: 404, error: 'Not Found' }) },
    ]);
    const bad = await post({ ...freshRequest(), difficulty: 9 });
    expect(bad.status).toBe(400);
    const [error] = await readEvents(bad);
    expect(error.data).toMatchObject({ statusCode: 400 });
    expect(t.simulator.attempts).toHaveLength(0);
  });

  it('the plain JSON form is unchanged: 201 with the lesson', async () => {
    const response = await t.http().post('/lessons').send(freshRequest()).expect(201);
    expect(response.headers['content-type']).toContain('application/json');
    expect(response.body.generation.cacheHit).toBe(false);
  });
});
