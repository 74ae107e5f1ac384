/**
 * `npm run bench:profile`: one CPU profile of the service's /v1 at c=50 against a zero-latency fake, its per-layer
 * split printed and the raw profile written to BENCH_CPU_PROFILE (default bench/results/v1.cpuprofile), to look
 * closer at one layer (Chrome DevTools opens it). A quicker loop than the whole peers run when working on speed.
 */
import OpenAI from 'openai';
import { cpuPerLayer } from './cpu-layers';
import { DEPLOYED_NODE_OPTIONS, freePort, startService, startSimulatorProcess } from './support';

async function main() {
  const seconds = Number(process.env.BENCH_PEER_SECONDS ?? 5);
  process.env.BENCH_CPU_PROFILE ??= 'bench/results/v1.cpuprofile';
  const simulator = await startSimulatorProcess(0);
  const inspectorPort = await freePort();
  const service = await startService(
    {
      OPENAI_API_KEY: 'bench',
      GEMINI_API_KEY: '',
      ANTHROPIC_API_KEY: '',
      OPENAI_BASE_URL: `${simulator.url}/v1`,
      LLM_PROVIDER: 'openai',
      LLM_MODEL: 'gpt-4o-mini',
      RATE_LIMIT_PER_MINUTE: '100000',
      LLM_MAX_CONCURRENCY: '512',
      DATABASE_URL: 'pglite://memory',
    },
    `${DEPLOYED_NODE_OPTIONS} --inspect=127.0.0.1:${inspectorPort}`,
  );
  const client = new OpenAI({ apiKey: 'bench', baseURL: `${service.url}/v1`, maxRetries: 0 });
  const drive = async (forSeconds: number) => {
    let calls = 0;
    const until = performance.now() + forSeconds * 1000;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        while (performance.now() < until) {
          await client.chat.completions.create({
            model: 'openai:gpt-4o-mini',
            messages: [{ role: 'user', content: 'Hi' }],
          });
          calls += 1;
        }
      }),
    );
    return calls;
  };
  await drive(2); // warm-up
  const { calls, microsPerCall } = await cpuPerLayer(inspectorPort, () => drive(seconds));
  const total = Object.values(microsPerCall).reduce((a, b) => a + b, 0);
  console.log(`${calls} calls in ${seconds} s; µs of CPU per call by layer (total ${total}):`);
  for (const [layer, micros] of Object.entries(microsPerCall)) console.log(`  ${layer}: ${micros}`);
  console.log(`profile: ${process.env.BENCH_CPU_PROFILE}`);
  await service.stop();
  simulator.stop();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
