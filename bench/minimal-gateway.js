// A peer for the gateway benchmark: the smallest useful OpenAI-compatible gateway in plain node:http. It parses the
// request, forwards it with fetch to the upstream routes in order (starting at the sticky one), moves on and sticks
// on a 429, a 5xx or a network error, and answers the upstream's body. No validation, metrics or logging.
const http = require('node:http');

const upstream = process.env.UPSTREAM_BASE_URL; // e.g. http://127.0.0.1:4010/v1
const routes = (process.env.ROUTES || 'gpt-4o-mini').split(',');
let sticky = 0;

http
  .createServer((request, response) => {
    const chunks = [];
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('end', async () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      for (let offset = 0; offset < routes.length; offset += 1) {
        const index = (sticky + offset) % routes.length;
        try {
          const answer = await fetch(`${upstream}/chat/completions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: 'Bearer peer' },
            body: JSON.stringify({ ...body, model: routes[index] }),
          });
          if (answer.status === 429 || answer.status >= 500) continue;
          sticky = index;
          response.writeHead(answer.status, { 'content-type': 'application/json' });
          response.end(await answer.text());
          return;
        } catch {
          // next route
        }
      }
      response.writeHead(503, { 'content-type': 'application/json' });
      response.end('{"error":{"message":"all routes failed"}}');
    });
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
