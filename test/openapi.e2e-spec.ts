import Ajv from 'ajv';
import { registeredEndpoints } from '../src/common/unknown-endpoint';
import { OPENAI, startTestApp, TestApp, uniqueProfile } from './support/test-app';

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

  it('the documented request schemas accept what the service accepts, and require what it requires', async () => {
    const document = (await t.http().get('/docs-json').expect(200)).body as {
      paths: Record<
        string,
        Record<string, { requestBody: { content: Record<string, { schema: object }> } }>
      >;
    };
    const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    const validatorFor = (path: string) =>
      ajv.compile(
        asJsonSchema(
          document.paths[path].post.requestBody.content['application/json'].schema,
        ) as object,
      );
    // Real client payloads, as the official SDKs send them (a reply echoed back into the next request included).
    const echoed = {
      role: 'assistant',
      content: null,
      refusal: null,
      annotations: [],
      parsed: null,
      tool_calls: [
        { id: 'call_1', type: 'function', function: { name: 'lookup', arguments: '{"q":"x"}' } },
      ],
    };
    const payloads: Array<[string, Record<string, unknown>, number]> = [
      ['/profiles', uniqueProfile(), 201],
      [
        '/v1/chat/completions',
        { model: 'default', messages: [{ role: 'user', content: 'hi' }] },
        200,
      ],
      [
        '/v1/chat/completions',
        {
          model: OPENAI,
          messages: [
            { role: 'developer', content: [{ type: 'text', text: 'Be brief.' }] },
            { role: 'user', content: 'look it up' },
            echoed,
            { role: 'tool', tool_call_id: 'call_1', content: 'found' },
          ],
          max_completion_tokens: 100,
          stream_options: null,
        },
        200,
      ],
      ['/v1/responses', { model: 'default', input: 'hi', max_output_tokens: 100 }, 200],
    ];
    for (const [path, payload, status] of payloads) {
      const validate = validatorFor(path);
      const answer = await t.http().post(path).send(payload);
      expect([path, answer.status]).toEqual([path, status]);
      expect([path, validate(payload) ? 'valid' : ajv.errorsText(validate.errors)]).toEqual([
        path,
        'valid',
      ]);
      // Every field the document requires, the service requires too.
      const required =
        (
          document.paths[path].post.requestBody.content['application/json'].schema as {
            required?: string[];
          }
        ).required ?? [];
      for (const field of required) {
        const without = { ...payload };
        delete without[field];
        expect([path, field, (await t.http().post(path).send(without)).status]).toEqual([
          path,
          field,
          400,
        ]);
      }
    }
  });

  it('/docs serves the Swagger UI', async () => {
    const response = await t.http().get('/docs').redirects(1).expect(200);
    expect(response.text).toContain('swagger');
  });
});

/** An OpenAPI 3.0 schema as JSON Schema: `nullable: true` becomes a `null` type. */
function asJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(asJsonSchema);
  if (typeof schema !== 'object' || schema === null) return schema;
  const converted: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) converted[key] = asJsonSchema(value);
  if (converted.nullable === true) {
    delete converted.nullable;
    if (typeof converted.type === 'string') converted.type = [converted.type, 'null'];
    else if (converted.enum) converted.enum = [...(converted.enum as unknown[]), null];
  }
  return converted;
}
