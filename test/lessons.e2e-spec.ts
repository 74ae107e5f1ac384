import {
  GEMINI_FALLBACK,
  OPENAI,
  PRIMARY,
  startTestApp,
  TestApp,
  uniqueProfile,
} from './support/test-app';

const COURSE = 'llm-foundations';
const LESSON = 'l03-hallucinations';

/** A lesson that passes the schema but breaks the rules: starts with a concept, no hook, no misconception. */
const ruleBreakingLesson = {
  lessonTitle: 'Hallucinations',
  estimatedDurationMinutes: 6,
  slides: [1, 2, 3, 4].map((slideNumber) => ({
    slideNumber,
    slideType: 'concept',
    title: `Part ${slideNumber}`,
    items: [
      { type: 'text', bullet: 'Models predict text', talk: 'They predict likely next words.' },
    ],
  })),
};

describe('Courses and lessons', () => {
  let t: TestApp;
  let profileId: string;

  beforeAll(async () => {
    t = await startTestApp({ LLM_CIRCUIT_FAILURE_THRESHOLD: '100' });
    const profile = await t.http().post('/profiles').send(uniqueProfile()).expect(201);
    profileId = profile.body.id;
  });
  afterAll(async () => {
    await t.close();
  });
  beforeEach(() => {
    t.simulator.reset();
    t.resetRouting();
  });

  const lessonRequest = (overrides: Record<string, unknown> = {}) => ({
    courseId: COURSE,
    lessonId: LESSON,
    difficulty: 3,
    profileId,
    ...overrides,
  });

  it('GET /courses lists the catalogue; GET /courses/:id has the lessons; unknown → 404', async () => {
    const list = await t.http().get('/courses').expect(200);
    expect(list.body).toHaveLength(1);
    expect(list.body[0]).toMatchObject({ id: COURSE, title: 'LLM foundations for professionals' });
    expect(list.body[0].lessons).toHaveLength(8);
    expect(list.body[0].lessons[0]).toEqual({
      id: 'l01-what-llms-are',
      title: 'What large language models are',
    });

    const course = await t.http().get(`/courses/${COURSE}`).expect(200);
    expect(course.body.lessons[2]).toMatchObject({
      id: LESSON,
      objectives: expect.any(Array),
      misconceptions: expect.any(Array),
    });

    await t.http().get('/courses/nope').expect(404);
  });

  it('generates a lesson (generate + review), stores it, and answers the same request from storage with no LLM call', async () => {
    const created = await t.http().post('/lessons').send(lessonRequest()).expect(201);

    expect(created.body).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      courseId: COURSE,
      lessonId: LESSON,
      difficulty: 3,
      profileId,
      adaptation: null,
      generation: { pipeline: 'primary', cacheHit: false },
    });
    const slides = created.body.content.slides;
    expect(slides.length).toBeGreaterThanOrEqual(4);
    expect(slides.length).toBeLessThanOrEqual(5);
    expect(slides[0].slideType).toBe('hook');
    expect(slides[slides.length - 1].slideType).toBe('connection');
    expect(created.body.generation.calls.map((call: { step: string }) => call.step)).toEqual([
      'generate',
      'review',
    ]);
    expect(created.body.generation.calls[0]).toMatchObject({
      provider: 'gemini',
      model: 'gemini-3-flash-preview',
    });
    expect(t.simulator.attempts).toHaveLength(2);

    const cached = await t.http().post('/lessons').send(lessonRequest()).expect(201);
    expect(cached.body.id).toBe(created.body.id);
    expect(cached.body.generation.cacheHit).toBe(true);
    expect(cached.body.content).toEqual(created.body.content);
    expect(t.simulator.attempts).toHaveLength(2);

    const fetched = await t.http().get(`/lessons/${created.body.id}`).expect(200);
    expect(fetched.body.content).toEqual(created.body.content);

    const refreshed = await t
      .http()
      .post('/lessons?refresh=true')
      .send(lessonRequest())
      .expect(201);
    expect(refreshed.body.id).toBe(created.body.id);
    expect(refreshed.body.generation.cacheHit).toBe(false);
    expect(t.simulator.attempts).toHaveLength(4);
  });

  it('difficulty and adaptation are part of the cache key', async () => {
    const gentle = await t
      .http()
      .post('/lessons')
      .send(lessonRequest({ difficulty: 1, lessonId: 'l01-what-llms-are' }))
      .expect(201);
    const adapted = await t
      .http()
      .post('/lessons')
      .send(
        lessonRequest({
          difficulty: 1,
          lessonId: 'l01-what-llms-are',
          adaptation: 'more_examples',
        }),
      )
      .expect(201);

    expect(adapted.body.id).not.toBe(gentle.body.id);
    expect(adapted.body.adaptation).toBe('more_examples');
    expect(gentle.body.content.slides.length).toBeLessThanOrEqual(4);
    const prompts = t.simulator.attempts.length;
    expect(prompts).toBe(4);
  });

  it('generates through a fallback route when the primary is down', async () => {
    t.simulator.always(PRIMARY, 'overloaded');

    const response = await t
      .http()
      .post('/lessons')
      .send(lessonRequest({ lessonId: 'l02-how-answers-are-made' }))
      .expect(201);

    expect(response.body.generation.calls[0]).toMatchObject({
      provider: 'gemini',
      model: 'gemini-2.5-flash',
      fallbackUsed: true,
    });
    expect(response.body.generation.calls[1]).toMatchObject({ model: 'gemini-2.5-flash' });
    expect(t.simulator.attemptsFor(PRIMARY)).toHaveLength(1);
    expect(t.simulator.attemptsFor(GEMINI_FALLBACK)).toHaveLength(2);
  });

  it('uses the fallback lesson when generation and rewrite still break the rules', async () => {
    t.simulator.script(
      PRIMARY,
      { fault: 'ok', json: ruleBreakingLesson }, // generate
      'ok', // review (approves, but the rule check lists fixes)
      { fault: 'ok', json: ruleBreakingLesson }, // rewrite
    );

    const response = await t
      .http()
      .post('/lessons')
      .send(lessonRequest({ lessonId: 'l04-prompting-basics' }))
      .expect(201);

    expect(response.body.generation.pipeline).toBe('fallback_lesson');
    expect(response.body.generation.calls.map((call: { step: string }) => call.step)).toEqual([
      'generate',
      'review',
      'rewrite',
      'fallback_lesson',
    ]);
    const slides = response.body.content.slides;
    expect(slides.map((slide: { slideType: string }) => slide.slideType)).toEqual([
      'hook',
      'concept',
      'example',
      'connection',
    ]);
  });

  it('LESSON_REVIEW=false: no review call, and rule-breaking output goes straight to the fallback lesson', async () => {
    const noReview = await startTestApp({ LESSON_REVIEW: 'false' }, t.simulator);
    try {
      const profile = await noReview.http().post('/profiles').send(uniqueProfile()).expect(201);
      t.simulator.reset();
      const plain = await noReview
        .http()
        .post('/lessons')
        .send(lessonRequest({ profileId: profile.body.id }))
        .expect(201);
      expect(plain.body.generation.calls.map((call: { step: string }) => call.step)).toEqual([
        'generate',
      ]);

      t.simulator.script(PRIMARY, { fault: 'ok', json: ruleBreakingLesson });
      const fallback = await noReview
        .http()
        .post('/lessons')
        .send(lessonRequest({ profileId: profile.body.id, difficulty: 5 }))
        .expect(201);
      expect(fallback.body.generation.pipeline).toBe('fallback_lesson');
      expect(fallback.body.generation.calls.map((call: { step: string }) => call.step)).toEqual([
        'generate',
        'fallback_lesson',
      ]);
      expect(fallback.body.content.slides).toHaveLength(5);
    } finally {
      await noReview.close();
    }
  });

  it('two concurrent identical requests make one generation', async () => {
    t.simulator.latencyMs = 200;
    const body = lessonRequest({ lessonId: 'l05-data-privacy' });

    const [a, b] = await Promise.all([
      t.http().post('/lessons').send(body),
      t.http().post('/lessons').send(body),
    ]);

    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.id).toBe(b.body.id);
    expect(t.simulator.attempts).toHaveLength(2);
  });

  it('every route failing → 503 with attempts and Retry-After', async () => {
    for (const route of [PRIMARY, GEMINI_FALLBACK, OPENAI, 'anthropic:claude-haiku-4-5-20251001']) {
      t.simulator.always(route, 'overloaded');
    }
    const response = await t
      .http()
      .post('/lessons')
      .send(lessonRequest({ lessonId: 'l06-bias-and-fairness' }))
      .expect(503);
    expect(response.headers['retry-after']).toBeDefined();
    expect(response.body.attempts).toHaveLength(4);
  });

  describe('validation and 404s, with no provider call', () => {
    it.each([
      ['an unknown course', { courseId: 'no-such-course' }, 404, /Course no-such-course not found/],
      ['an unknown lesson', { lessonId: 'l99-missing' }, 404, /Lesson l99-missing not found/],
      [
        'an unknown profile',
        { profileId: '1b4e28ba-2fa1-4d2e-8c3b-6f2d1e7a9c10' },
        404,
        /Profile .* not found/,
      ],
      ['difficulty 0', { difficulty: 0 }, 400, /difficulty must not be less than 1/],
      ['difficulty 6', { difficulty: 6 }, 400, /difficulty must not be greater than 5/],
      ['a fractional difficulty', { difficulty: 2.5 }, 400, /difficulty must be an integer/],
      ['a string difficulty', { difficulty: '3' }, 400, /difficulty must be an integer/],
      ['an unknown adaptation', { adaptation: 'make_it_rhyme' }, 400, /adaptation must be one of/],
      ['an unknown field', { teacher: 'me' }, 400, /property teacher should not exist/],
      ['a malformed profile id', { profileId: 'abc' }, 400, /profileId must be a UUID/],
      [
        'a path-like lesson id',
        { lessonId: '../../etc/passwd' },
        400,
        /lessonId must be lowercase/,
      ],
    ])('%s', async (_name, overrides, status, message) => {
      const response = await t.http().post('/lessons').send(lessonRequest(overrides));
      expect(response.status).toBe(status);
      expect(JSON.stringify(response.body.message)).toMatch(message);
      expect(t.simulator.attempts).toHaveLength(0);
    });

    it('GET /lessons/:id → 404 for an unknown id, 400 for a malformed one', async () => {
      await t.http().get('/lessons/1b4e28ba-2fa1-4d2e-8c3b-6f2d1e7a9c10').expect(404);
      await t.http().get('/lessons/not-an-id').expect(400);
    });
  });
});
