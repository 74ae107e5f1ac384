import { nurse, startTestApp, TestApp } from './support/test-app';

const ALICE = 'alice-client-key-AAAA1111BBBB';
const BOB = 'bob-client-key-CCCC2222DDDD';

describe('Profiles and lessons belong to the key that generated them', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ API_KEYS: `alice:${ALICE},bob:${BOB}` });
  });
  afterAll(() => t.close());

  const as = (key: string) => ({
    post: (path: string, body: object) => t.http().post(path).set('x-api-key', key).send(body),
    get: (path: string) => t.http().get(path).set('x-api-key', key),
    delete: (path: string) => t.http().delete(path).set('x-api-key', key),
  });

  it('another key gets 404 for a profile or lesson, gets a profile of its own for the same triple, and cannot refresh or delete another’s', async () => {
    const profile = await as(ALICE).post('/profiles', nurse).expect(201);
    const lesson = await as(ALICE)
      .post('/lessons', {
        courseId: 'llm-foundations',
        lessonId: 'l03-hallucinations',
        difficulty: 2,
        profileId: profile.body.id,
      })
      .expect(201);

    await as(BOB).get(`/profiles/${profile.body.id}`).expect(404);
    await as(BOB).get(`/lessons/${lesson.body.id}`).expect(404);
    await as(BOB)
      .post('/lessons', {
        courseId: 'llm-foundations',
        lessonId: 'l03-hallucinations',
        difficulty: 2,
        profileId: profile.body.id,
      })
      .expect(404);
    await as(BOB).delete(`/profiles/${profile.body.id}`).expect(404);

    // The same triple through another key is that key's own profile; its refresh regenerates only its own.
    const bobs = await as(BOB).post('/profiles', nurse).expect(201);
    expect(bobs.body.id).not.toBe(profile.body.id);
    const refreshed = await as(BOB).post('/profiles?refresh=true', nurse).expect(201);
    expect(refreshed.body.id).toBe(bobs.body.id);
    const alices = await as(ALICE).post('/profiles', nurse).expect(200);
    expect(alices.body).toMatchObject({ id: profile.body.id, generatedFromCache: true });

    // Its owner deletes the profile, and its lessons go with it.
    await as(ALICE).delete(`/profiles/${profile.body.id}`).expect(204);
    await as(ALICE).get(`/profiles/${profile.body.id}`).expect(404);
    await as(ALICE).get(`/lessons/${lesson.body.id}`).expect(404);
    await as(BOB).get(`/profiles/${bobs.body.id}`).expect(200);
  });
});
