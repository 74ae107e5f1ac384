import Redis from 'ioredis';
import { SharedStateEnvelope } from '../src/coordination/shared-state-envelope';
import { RedisServer, systemRedisServer } from './support/redis-server';
import { eventually, ServiceProcess, startServiceProcess } from './support/service-process';
import { describeIf } from './support/tools';

const redisBinary = systemRedisServer();
const KEY = 'shared-state-key-SSSS9999TTTT0000';
const SECRET = 'the-replicas-shared-secret-0123456789abcdef';
const CHANNEL = 'llm-backend:route-state';

type Body = Record<string, any>;

async function llmStatus(pod: ServiceProcess): Promise<Body> {
  const response = await fetch(`${pod.url}/health/llm`, { headers: { 'x-api-key': KEY } });
  return (await response.json()) as Body;
}

async function rejected(pod: ServiceProcess, reason: string): Promise<number> {
  const metrics = await (await fetch(`${pod.url}/metrics`)).text();
  return Number(
    new RegExp(`llm_shared_state_rejected_total\\{reason="${reason}"\\} (\\d+)`).exec(
      metrics,
    )?.[1] ?? 0,
  );
}

/** The state that would take every route out of service on every pod, were it applied. */
function hostileState(chainLength: number, stickyIndex = chainLength - 1) {
  const open = {
    state: 'open',
    consecutiveFailures: 99,
    consecutiveProbeSuccesses: 0,
    openedAt: Date.now(),
  };
  return {
    sticky: { index: stickyIndex, since: Date.now(), reason: 'overloaded' },
    routes: Array.from({ length: chainLength }, () => ({
      circuit: open,
      disabledReason: 'auth (401)',
      disabledAt: Date.now(),
    })),
  };
}

describeIf(
  redisBinary,
  'the shared-state control plane (needs redis-server)',
  'bash scripts/start-redis.sh && npm run test:e2e',
)('A control plane only the service can steer (two service processes, a real redis-server)', () => {
  const redis = new RedisServer(redisBinary ?? '');
  let a: ServiceProcess;
  let b: ServiceProcess;
  let attacker: Redis;

  beforeAll(async () => {
    await redis.start();
    const env = {
      DATABASE_URL: 'pglite://memory',
      REDIS_URL: redis.url,
      REDIS_SHARED_SECRET: SECRET,
      API_KEYS: KEY,
      SIMULATOR_CONTROL: 'true',
      LLM_HEALTHCHECK_INTERVAL_MS: '600000',
    };
    [a, b] = await Promise.all([startServiceProcess(env), startServiceProcess(env)]);
    attacker = new Redis(redis.url);
    await eventually('both pods share state', async () =>
      (await Promise.all([llmStatus(a), llmStatus(b)])).every(
        (status) => status.sharedState.mode === 'shared',
      ),
    );
  }, 120_000);

  afterAll(async () => {
    attacker?.disconnect();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis.kill();
  }, 60_000);

  it('forged, wrongly signed and malformed messages are dropped and counted; both pods keep serving as before', async () => {
    const chain = (await llmStatus(a)).routes.map(
      (route: Body) => `${route.provider}:${route.model}`,
    );
    const message = (state: object) => ({ origin: 'attacker', chain: chain.join(','), state });
    const forged = [
      JSON.stringify(message(hostileState(chain.length))), // unsigned, in the old plain format
      new SharedStateEnvelope('not-the-secret-but-long-enough-0123456789').seal(
        message(hostileState(chain.length)),
      ),
      'garbage {',
      // Signed with the real secret, but a state no replica could have made: refused by its shape.
      new SharedStateEnvelope(SECRET).seal(message(hostileState(chain.length, 99))),
    ];
    for (const raw of forged) await attacker.publish(CHANNEL, raw);

    for (const pod of [a, b]) {
      await eventually(
        'the forged messages were counted',
        async () => (await rejected(pod, 'signature')) >= 2,
      );
      expect(await rejected(pod, 'shape')).toBeGreaterThanOrEqual(2);
      const status = await llmStatus(pod);
      expect(status.sticky.model).toBe(status.routes[0].model);
      expect(status.routes.map((route: Body) => route.state)).toEqual(chain.map(() => 'closed'));
      const answer = await fetch(`${pod.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': KEY },
        body: JSON.stringify({ model: 'default', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(answer.status).toBe(200);
    }
  });

  it('the replicas’ own signed state still travels: a failover on pod A moves pod B', async () => {
    const simulatorUrl = /embedded simulator at (http:\/\/127\.0\.0\.1:\d+)/.exec(a.output())?.[1];
    const primary = (await llmStatus(a)).routes[0];
    await fetch(`${simulatorUrl}/__simulator/script`, {
      method: 'POST',
      body: JSON.stringify({
        route: `${primary.provider}:${primary.model}`,
        behaviours: ['overloaded'],
      }),
    });
    const profile = await fetch(`${a.url}/profiles`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify({
        profession: 'Pilot',
        industry: 'Aviation',
        experienceLevel: 'Advanced',
      }),
    });
    expect(profile.status).toBe(201);
    await eventually(
      'pod B follows pod A',
      async () => (await llmStatus(b)).sticky.model !== primary.model,
    );
  });
});
