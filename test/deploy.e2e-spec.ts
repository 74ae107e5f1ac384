import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { loadConfiguration, longestRequestMs } from '../src/app.configuration';
import { OBSERVABILITY_CONFIG } from '../src/config/observability.config';
import { freePort } from './support/temporary-database';
import { startTestApp, TestApp } from './support/test-app';

const ROOT = resolve(__dirname, '..');
const K8S = join(ROOT, 'deploy', 'k8s');

type Doc = Record<string, any>;

function manifests(): Doc[] {
  return readdirSync(K8S)
    .filter((file) => file.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((doc) => doc.toJS() as Doc),
    );
}

/** The service's own resource of a kind (not the Redis one beside it). */
const byKind = (kind: string, name = 'llm-backend') =>
  manifests().find((doc) => doc.kind === kind && doc.metadata?.name === name) as Doc;
const SECRET_NAMES = /(_KEY|_KEYS|DATABASE_URL|REDIS_URL|PASSWORD|SECRET|TOKEN)$/;
const KEY_LOOKALIKE = /(sk-(proj|ant)?-?[A-Za-z0-9_-]{16,}|AIza[0-9A-Za-z_-]{20,})/;

/** The example Secret with its placeholders replaced by values of the right form (a strong client key). */
function filledSecret(): Record<string, string> {
  const example = byKind('Secret', 'llm-backend-secrets').stringData as Record<string, string>;
  return {
    ...example,
    API_KEYS: `app:${randomBytes(32).toString('base64url')}`,
    DATABASE_URL: 'postgres://llm:secret@postgres:5432/llm?sslmode=require',
    REDIS_URL: 'redis://:password@llm-backend-redis:6379',
    REDIS_SHARED_SECRET: randomBytes(32).toString('hex'),
  };
}

describe('Container and Kubernetes manifests (Docker is not available here: checked statically)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  const deployment = () => byKind('Deployment');
  const container = () => deployment().spec.template.spec.containers[0];
  const configMap = () => byKind('ConfigMap', 'llm-backend-config');

  it('every probe path exists in the app and answers 200, on the container port the app listens on', async () => {
    const ports = container().ports as Array<{ name: string; containerPort: number }>;
    const http = ports.find((port) => port.name === 'http');
    expect(http?.containerPort).toBe(Number(configMap().data.PORT));
    for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
      const get = container()[probe].httpGet as { path: string; port: string };
      expect(get.port).toBe('http');
      await t.http().get(get.path).expect(200);
    }
    expect(container().livenessProbe.httpGet.path).toBe('/health/live');
    expect(container().readinessProbe.httpGet.path).toBe('/health/ready');
    const service = byKind('Service');
    expect(service.spec.ports[0].targetPort).toBe('http');
    // Prometheus scrapes the management port (METRICS_PORT), where the app serves the annotated path.
    const metricsPort = Number(configMap().data.METRICS_PORT);
    expect(Number(service.metadata.annotations['prometheus.io/port'])).toBe(metricsPort);
    expect(ports.find((port) => port.name === 'metrics')?.containerPort).toBe(metricsPort);
    const scraper = await startTestApp({ METRICS_PORT: String(await freePort()) });
    try {
      const port = scraper.app.get(OBSERVABILITY_CONFIG).metricsPort;
      const scraped = await fetch(
        `http://127.0.0.1:${port}${service.metadata.annotations['prometheus.io/path']}`,
      );
      expect(scraped.status).toBe(200);
    } finally {
      await scraper.close();
    }
  });

  it('terminationGracePeriodSeconds covers the drain and the longest deadline (request, lesson, stream)', () => {
    const data = configMap().data;
    const configuration = loadConfiguration({ ...data, ...filledSecret() });
    const neededSeconds =
      (configuration.server.shutdownDrainMs + longestRequestMs(configuration)) / 1000;
    expect(deployment().spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(
      neededSeconds,
    );
  });

  it('the ConfigMap plus the Secret is a configuration the service accepts once its placeholders are replaced', () => {
    expect(() => loadConfiguration({ ...configMap().data, ...filledSecret() })).not.toThrow();
    // The example's placeholders themselves are refused: a copied example never runs in production.
    const secret = byKind('Secret', 'llm-backend-secrets');
    expect(() => loadConfiguration({ ...configMap().data, ...secret.stringData })).toThrow(
      /API_KEYS: with NODE_ENV=production no key may contain placeholder text/,
    );
  });

  it('no key is inlined: secrets come from secretKeyRef, the example Secret holds placeholders only', () => {
    for (const entry of container().env as Array<{
      name: string;
      value?: string;
      valueFrom?: Doc;
    }>) {
      if (SECRET_NAMES.test(entry.name)) {
        expect(entry.value).toBeUndefined();
        expect(entry.valueFrom?.secretKeyRef?.name).toBe('llm-backend-secrets');
      }
    }
    expect(Object.keys(configMap().data).filter((name) => SECRET_NAMES.test(name))).toEqual([]);
    for (const value of Object.values(
      byKind('Secret', 'llm-backend-secrets').stringData as Record<string, string>,
    ))
      expect(value).toContain('REPLACE_ME');
    const everything = [
      ...readdirSync(K8S).map((file) => readFileSync(join(K8S, file), 'utf8')),
      readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'),
      readFileSync(join(ROOT, 'Dockerfile'), 'utf8'),
    ].join('\n');
    expect(everything).not.toMatch(KEY_LOOKALIKE);
  });

  it('docker-compose runs the service on PostgreSQL and passes keys through from the environment', () => {
    const compose = parseAllDocuments(
      readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'),
    )[0].toJS() as Doc;
    const environment = compose.services.app.environment as Record<string, string>;
    expect(environment.DATABASE_URL).toMatch(/^postgres:\/\/.+@postgres:5432\//);
    for (const [name, value] of Object.entries(environment)) {
      if (/_API_KEY$/.test(name)) expect(value).toMatch(/^\$\{\w+:-\}$/);
    }
    expect(compose.services.postgres.image).toMatch(/^postgres:/);
    // Two replicas sharing state through Redis, each on its own host port.
    expect(compose.services.app.deploy.replicas).toBe(2);
    expect(environment.REDIS_URL).toMatch(/^redis:\/\/:\$\{REDIS_PASSWORD:\?[^}]+\}@redis:6379$/);
    expect(compose.services.redis.image).toMatch(/^redis:/);
    expect(Object.keys(compose.services.app.depends_on)).toEqual(['postgres', 'redis']);
  });

  it('the Kubernetes replicas get REDIS_URL and a Redis to reach, and no file needs a Job for migrations', () => {
    expect(deployment().spec.replicas).toBeGreaterThan(1);
    // REDIS_URL carries the password: it comes from the Secret, never the ConfigMap.
    expect(configMap().data.REDIS_URL).toBeUndefined();
    const redisUrl = new URL(filledSecret().REDIS_URL);
    const redisService = byKind('Service', 'llm-backend-redis');
    expect(redisUrl.hostname).toBe(redisService.metadata.name);
    expect(Number(redisUrl.port)).toBe(redisService.spec.ports[0].port);
    expect(
      byKind('Deployment', 'llm-backend-redis').spec.template.spec.containers[0].image,
    ).toMatch(/^redis:/);
    expect(manifests().some((doc) => doc.kind === 'Job')).toBe(false);
    // The startup probe outlasts the boot's database retries (DATABASE_BOOT_DEADLINE_MS).
    const startup = container().startupProbe;
    expect(startup.periodSeconds * startup.failureThreshold * 1000).toBeGreaterThan(
      Number(configMap().data.DATABASE_BOOT_DEADLINE_MS),
    );
  });

  it('the Dockerfile is multi-stage, production-only, non-root, with a HEALTHCHECK on /health/live', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm prune --omit=dev|npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK [\s\S]*\/health\/live/m);
    expect(dockerfile).toMatch(/^CMD \["node", "dist\/main.js"\]$/m);
    for (const needed of ['drizzle', 'content'])
      expect(dockerfile).toContain(`COPY --chown=node:node ${needed}`);
  });
  it('pods are hardened: seccomp RuntimeDefault, no service-account token, no root, immutable image tag, a disruption budget', () => {
    for (const name of ['llm-backend', 'llm-backend-redis']) {
      const pod = byKind('Deployment', name).spec.template.spec;
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toMatchObject({
        runAsNonRoot: true,
        seccompProfile: { type: 'RuntimeDefault' },
      });
      for (const each of pod.containers)
        expect(each.securityContext).toMatchObject({
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'] },
        });
    }
    expect(container().image).not.toMatch(/:latest$|^[^:]+$/);
    const budget = byKind('PodDisruptionBudget');
    expect(budget.spec.selector.matchLabels).toEqual(deployment().spec.selector.matchLabels);
    expect(budget.spec.minAvailable).toBeGreaterThanOrEqual(1);
  });

  it('Redis has a password, never evicts the counters, and admits only the service’s pods; the database URL asks for TLS', () => {
    const redis = byKind('Deployment', 'llm-backend-redis').spec.template.spec.containers[0];
    const args: string[] = redis.args;
    expect(args[args.indexOf('--maxmemory-policy') + 1]).toBe('noeviction');
    expect(args[args.indexOf('--requirepass') + 1]).toBe('$(REDIS_PASSWORD)');
    expect(redis.env[0].valueFrom.secretKeyRef.key).toBe('REDIS_PASSWORD');
    const policy = byKind('NetworkPolicy', 'llm-backend-redis');
    expect(policy.spec.podSelector.matchLabels).toEqual({ app: 'llm-backend-redis' });
    expect(policy.spec.ingress).toEqual([
      { from: [{ podSelector: { matchLabels: { app: 'llm-backend' } } }], ports: [{ port: 6379 }] },
    ]);
    const secret = byKind('Secret', 'llm-backend-secrets').stringData as Record<string, string>;
    expect(secret.DATABASE_URL).toMatch(/sslmode=require/);
    expect(secret.REDIS_URL).toMatch(/^redis:\/\/:[^@]+@/);
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    expect(compose).toMatch(/--requirepass/);
    expect(compose).toMatch(/noeviction/);
    expect(compose).not.toMatch(/API_KEYS: \$\{API_KEYS:-/);
  });
});
