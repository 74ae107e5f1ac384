import { registeredEndpoints } from '../src/common/unknown-endpoint';
import { startTestApp, TestApp } from './support/test-app';

describe('API documentation', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  /** Every method + path the app actually serves, from the HTTP router itself, in OpenAPI's `{param}` form. */
  function servedRoutes(): string[] {
    return registeredEndpoints(t.app.getHttpAdapter().getInstance())
      .map((route) => route.replace(/:(\w+)/g, '{$1}'))
      .filter((route) => !/ \/docs/.test(route))
      .sort();
  }

  it('/docs-json lists every route the app serves, with responses and schemas', async () => {
    const response = await t.http().get('/docs-json').expect(200);
    const document = response.body as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            responses: Record<string, { content?: unknown; headers?: Record<string, unknown> }>;
            requestBody?: { content: Record<string, { schema: { properties?: object } }> };
          }
        >
      >;
    };
    expect(document.openapi).toMatch(/^3\./);
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      )
      .sort();
    const served = servedRoutes();
    expect(served.length).toBeGreaterThanOrEqual(12);
    expect(documented).toEqual(served);

    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(Object.keys(operation.responses).length).toBeGreaterThan(0);
        if (method === 'post') {
          expect(
            operation.requestBody?.content['application/json'].schema.properties,
          ).toBeDefined();
          expect(operation.responses['503'].headers?.['Retry-After']).toBeDefined();
          expect(operation.responses['400']).toBeDefined();
        }
        if (path.includes('{'))
          expect(operation.responses['404'] ?? operation.responses['400']).toBeDefined();
      }
    }
    const createProfile = document.paths['/profiles'].post;
    expect(createProfile.requestBody?.content['application/json'].schema.properties).toHaveProperty(
      'experienceLevel',
    );
    expect(createProfile.responses['201'].content).toBeDefined();
  });

  it('/docs serves the Swagger UI', async () => {
    const response = await t.http().get('/docs').redirects(1).expect(200);
    expect(response.text).toContain('swagger');
  });
});
