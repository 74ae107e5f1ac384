// Baseline for the HTTP throughput benchmark: a bare node:http server that calls the OpenAI SDK directly against
// the same simulator, with the same structured-output request, JSON.parse and nothing else. Plain JS on purpose.
const http = require('node:http');
const OpenAI = require('openai').default;

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
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ profile }));
    } catch (error) {
      response.writeHead(502, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: String(error) }));
    }
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('baseline ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
