// Baseline for the HTTP throughput benchmark: the same work as POST /profiles done by hand. A bare node:http server
// that checks the input, calls the OpenAI SDK against the same simulator with the same structured-output request,
// checks the answer's shape, and upserts the profile through `pg` when DATABASE_URL names a PostgreSQL database (the
// bench passes the service's). No framework, logging or metrics, so the ratio measures their cost, not the write.
// Plain JS on purpose.
const http = require('node:http');
const OpenAI = require('openai').default;
const { Pool } = require('pg');

const pool = process.env.DATABASE_URL?.startsWith('postgres')
  ? new Pool({ connectionString: process.env.DATABASE_URL, max: 20 })
  : undefined;
pool?.on('error', () => undefined);
const ready = pool?.query(
  `create table if not exists baseline_profiles (
     profession text not null, industry text not null, experience_level text not null, profile jsonb not null,
     primary key (profession, industry, experience_level))`,
);
const LEVELS = new Set(['Beginner', 'Intermediate', 'Advanced']);
const text = (value) => typeof value === 'string' && value.trim().length > 0 && value.length <= 200;
const validInput = (input) =>
  input && text(input.profession) && text(input.industry) && LEVELS.has(input.experienceLevel);
const validProfile = (profile) =>
  profile &&
  Array.isArray(profile.painPoints) &&
  profile.painPoints.every((point) => typeof point === 'string') &&
  typeof profile.learningStyleNotes === 'string';

const client = new OpenAI({
  apiKey: 'bench',
  baseURL: process.env.OPENAI_BASE_URL,
  maxRetries: 0,
  timeout: 60_000,
});
const schema = {
  type: 'object',
  properties: {
    painPoints: { type: 'array', items: { type: 'string' } },
    learningStyleNotes: { type: 'string' },
  },
  required: ['painPoints', 'learningStyleNotes'],
  additionalProperties: false,
};

const server = http.createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', async () => {
    try {
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (!validInput(input)) {
        response.writeHead(400, { 'content-type': 'application/json' });
        response.end('{"error":"invalid input"}');
        return;
      }
      const completion = await client.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [
          { role: 'user', content: `Profile for ${input.profession} in ${input.industry}` },
        ],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'learner_profile', schema, strict: true },
        },
      });
      const profile = JSON.parse(completion.choices[0].message.content);
      if (!validProfile(profile)) throw new Error('invalid profile');
      if (pool) {
        await ready;
        await pool.query(
          `insert into baseline_profiles (profession, industry, experience_level, profile) values ($1, $2, $3, $4)
           on conflict (profession, industry, experience_level) do update set profile = excluded.profile`,
          [input.profession, input.industry, input.experienceLevel, JSON.stringify(profile)],
        );
      }
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ profile }));
    } catch (error) {
      response.writeHead(502, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: String(error) }));
    }
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('baseline ready'));
process.on('SIGTERM', () =>
  server.close(() => (pool ? pool.end() : Promise.resolve()).then(() => process.exit(0))),
);
