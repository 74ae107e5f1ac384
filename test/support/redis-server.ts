import { ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createConnection } from 'node:net';
import { freePort } from './temporary-database';
import { systemTool } from './tools';

/** Debian's redis-server (`scripts/start-redis.sh` installs it; CI runs that script). */
export function systemRedisServer(): string | undefined {
  return systemTool(
    [process.env.REDIS_SERVER_PATH, '/usr/bin/redis-server', '/usr/local/bin/redis-server'],
    'scripts/start-redis.sh',
  );
}

/** A private Redis server on a loopback port, which a test may kill and start again on the same port. */
export class RedisServer {
  private child: ChildProcess | undefined;
  port = 0;

  constructor(private readonly binary: string) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    this.child = spawn(
      this.binary,
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100; i += 1) {
      if (await accepts(this.port)) return;
      await new Promise((done) => setTimeout(done, 50));
    }
    throw new Error('redis-server did not start');
  }

  /** What a crash does: gone at once, no goodbye. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
