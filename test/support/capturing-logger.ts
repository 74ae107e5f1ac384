import { ConsoleLogger } from '@nestjs/common';

/** Keeps every log line in memory so tests can assert on what an operator would read. Prints with E2E_LOGS=1. */
export class CapturingLogger extends ConsoleLogger {
  readonly lines: string[] = [];

  constructor() {
    super({ logLevels: ['fatal', 'error', 'warn', 'log', 'debug'] });
  }

  protected override printMessages(
    messages: unknown[],
    context = '',
    logLevel: Parameters<ConsoleLogger['printMessages']>[2] = 'log',
    writeStreamType?: 'stdout' | 'stderr',
  ): void {
    for (const message of messages) this.lines.push(`${logLevel} [${context}] ${String(message)}`);
    if (process.env.E2E_LOGS === '1')
      super.printMessages(messages, context, logLevel, writeStreamType);
  }

  protected override printStackTrace(stack: string): void {
    if (!stack) return;
    this.lines.push(stack);
    if (process.env.E2E_LOGS === '1') super.printStackTrace(stack);
  }

  includes(fragment: string): boolean {
    return this.lines.some((line) => line.includes(fragment));
  }
}
