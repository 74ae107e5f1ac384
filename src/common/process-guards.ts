import { LoggerService } from '@nestjs/common';
import { Counter, Registry } from 'prom-client';
import { logCorrelation } from './log-context';

/** The process events the guards listen to, and how the process ends (the real `process` by default). */
export interface GuardedProcess {
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  on(event: 'uncaughtException', listener: (error: Error) => void): unknown;
  exit(code: number): unknown;
}

function describe(reason: unknown): { message: string; stack?: string } {
  if (reason instanceof Error)
    return { message: `${reason.name}: ${reason.message}`, stack: reason.stack };
  return { message: typeof reason === 'string' ? reason : 'a non-Error value' };
}

/**
 * The process outlives any request:
 * - an unhandled rejection (a promise nobody awaited failed) is logged, with the request id when it happened inside a
 *   request, and counted (`process_unhandled_rejections_total`); the process keeps serving, since the failure was
 *   confined to that promise's work;
 * - an uncaught exception leaves the process in a state nobody can vouch for: it is logged as fatal and the process
 *   exits with 1 at once, so the orchestrator starts a clean one (the readiness probe has already routed traffic
 *   to the other replicas).
 */
export function guardProcess(
  logger: LoggerService,
  registry: Registry,
  target: GuardedProcess = process,
): void {
  const rejections = new Counter({
    name: 'process_unhandled_rejections_total',
    help: 'Promises that failed with nobody handling the failure (logged; the process keeps serving)',
    registers: [registry],
  });
  target.on('unhandledRejection', (reason) => {
    rejections.inc();
    const { message, stack } = describe(reason);
    const { requestId } = logCorrelation();
    logger.error(
      `Unhandled rejection${requestId ? ` [request ${requestId}]` : ''}: ${message}`,
      stack,
      'Process',
    );
  });
  target.on('uncaughtException', (error) => {
    const { message, stack } = describe(error);
    logger.fatal?.(`Uncaught exception; exiting: ${message}`, stack, 'Process');
    target.exit(1);
  });
}
