import { Controller, Get, Header } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../common/api-key.guard';

/** No script, no style from elsewhere: the page is links. */
const HOME_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

const HOME_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Resilient LLM backend</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{background:#eee;padding:0 .2em}</style>
</head><body>
<h1>Resilient LLM backend</h1>
<p>Learner profiles and personalised lessons from large language models, with fallback across OpenAI, Anthropic and
Google Gemini.</p>
<ul>
<li><a href="/status">/status</a>: the routes, failovers and recoveries, the last hour, cost (and whether answers are simulated)</li>
<li><a href="/docs">/docs</a>: the API (OpenAPI), when it is enabled</li>
<li><code>/v1</code>: the OpenAI-compatible API (set an OpenAI client's base URL to this address followed by <code>/v1</code>)</li>
<li><a href="/health/llm">/health/llm</a>: the LLM routes' state, as JSON</li>
</ul>
<p>How to run, configure and deploy it: the README and <code>docs/</code> in the repository.</p>
</body></html>
`;

/** `GET /`: a small page that says where to look. */
@ApiTags('health')
@Controller()
export class HomeController {
  @Public()
  @Get()
  @ApiOperation({ summary: 'A page with links to /status, /docs and /v1' })
  @ApiProduces('text/html')
  @ApiResponse({ status: 200, description: 'The page' })
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', HOME_CSP)
  home(): string {
    return HOME_PAGE;
  }
}
