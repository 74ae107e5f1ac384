import { ConsoleLogger, ConsoleLoggerOptions, LogLevel } from '@nestjs/common';
import { logCorrelation } from './log-context';

/**
 * Nest's console logger with each line tied to its request and trace: JSON lines get `requestId` and `traceId`
 * fields, text lines a ` [trace …]` suffix when a span is active. Colours only on a terminal.
 */
export class ServiceLogger extends ConsoleLogger {
  /** Framework start-up chatter (modules loaded, every route mapped): debug level, not the boot's story. */
  private static readonly CHATTER = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

  constructor(options: ConsoleLoggerOptions) {
    super({
      ...options,
      colors: !options.json && (options.colors ?? process.stdout.isTTY === true),
    });
  }

  override log(message: unknown, ...rest: unknown[]): void {
    const context = rest.at(-1);
    if (typeof context === 'string' && ServiceLogger.CHATTER.has(context))
      this.debug(message, ...rest);
    else super.log(message, ...rest);
  }

  protected override getJsonLogObject(
    message: unknown,
    options: Parameters<ConsoleLogger['getJsonLogObject']>[1],
  ): ReturnType<ConsoleLogger['getJsonLogObject']> {
    return { ...super.getJsonLogObject(message, options), ...logCorrelation() };
  }

  protected override formatMessage(
    logLevel: LogLevel,
    message: unknown,
    pidMessage: string,
    formattedLogLevel: string,
    contextMessage: string,
    timestampDiff: string,
    params?: Record<string, unknown>,
  ): string {
    const line = super.formatMessage(
      logLevel,
      message,
      pidMessage,
      formattedLogLevel,
      contextMessage,
      timestampDiff,
      params,
    );
    const { traceId } = logCorrelation();
    return traceId ? line.replace(/\n$/, ` [trace ${traceId}]\n`) : line;
  }
}
