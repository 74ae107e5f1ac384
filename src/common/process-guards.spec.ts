import { EventEmitter } from 'node:events';
import { LoggerService } from '@nestjs/common';
import { Registry } from 'prom-client';
import { guardProcess } from './process-guards';

class FakeProcess extends EventEmitter {
  readonly exits: number[] = [];
  exit(code: number) {
    this.exits.push(code);
  }
}

function logger() {
  const lines: string[] = [];
  const record = (level: string) => (message: unknown) => lines.push(`${level} ${String(message)}`);
  const service: LoggerService = {
    log: record('log'),
    error: record('error'),
    warn: record('warn'),
    fatal: record('fatal'),
  };
  return { lines, service };
}

describe(guardProcess.name, () => {
  it('logs and counts an unhandled rejection, and keeps the process running', async () => {
    const target = new FakeProcess();
    const registry = new Registry();
    const { lines, service } = logger();
    guardProcess(service, registry, target);
    target.emit('unhandledRejection', new RangeError('Invalid array length'));
    target.emit('unhandledRejection', 'a string');
    expect(target.exits).toEqual([]);
    expect(lines).toEqual([
      'error Unhandled rejection: RangeError: Invalid array length',
      'error Unhandled rejection: a string',
    ]);
    expect(await registry.getSingleMetricAsString('process_unhandled_rejections_total')).toMatch(
      / 2$/,
    );
  });

  it('ends the process with 1 on an uncaught exception, after logging it as fatal', () => {
    const target = new FakeProcess();
    const { lines, service } = logger();
    guardProcess(service, new Registry(), target);
    target.emit('uncaughtException', new TypeError('boom'));
    expect(lines).toEqual(['fatal Uncaught exception; exiting: TypeError: boom']);
    expect(target.exits).toEqual([1]);
  });
});
