import { appSimulator } from './simulated-providers';

/** `npm run simulator`: the provider simulator on its own, for manual runs and benchmarks. */
async function main(): Promise<void> {
  const port = Number(process.env.SIMULATOR_PORT ?? 4010);
  const simulator = appSimulator({
    latencyMs: Number(process.env.SIMULATOR_LATENCY_MS ?? 0),
  });
  const url = await simulator.start(port, process.env.SIMULATOR_HOST ?? '127.0.0.1');
  console.log(`Provider simulator listening on ${url}`);
  console.log(`  OPENAI_BASE_URL=${simulator.baseUrls.openai}`);
  console.log(`  ANTHROPIC_BASE_URL=${simulator.baseUrls.anthropic}`);
  console.log(`  GEMINI_BASE_URL=${simulator.baseUrls.gemini}`);
  console.log(
    '  Script faults: POST /__simulator/script {"route":"gemini:gemini-3-flash-preview","always":{"fault":"overloaded"}}',
  );
  const stop = () => void simulator.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

void main();
