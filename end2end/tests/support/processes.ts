/**
 * Processes a test owns (not Playwright's webServer): a Tidings server on
 * a port of its own (the restart and failover specs kill and restart it),
 * a redis-server, and free loopback ports for them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';

/** The project root (holds Cargo.toml and target/). */
export const PROJECT_ROOT = path.resolve(__dirname, '../../..');

// ---------------------------------------------------- own server process ----

export interface ServerOptions {
  /** Port on 127.0.0.1. */
  port: number;
  /** Extra flags after `--addr`. */
  args?: string[];
  /** Label for log lines, e.g. 'server#1'. */
  label?: string;
}

/**
 * A Tidings server process owned by a test (not Playwright's webServer).
 * Output is kept in memory; print it with `dumpLog()` when a test fails.
 */
export class TidingsServer {
  readonly origin: string;
  private readonly log: string[] = [];
  private readonly exited: Promise<void>;
  private spawnError = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly label: string,
  ) {
    this.origin = `http://127.0.0.1:${port}`;
    const keep = (stream: string) => (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') this.log.push(`[${this.label} ${stream}] ${line}`);
      }
    };
    child.stdout?.on('data', keep('out'));
    child.stderr?.on('data', keep('err'));
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      // A process that could not be spawned never emits 'exit'.
      child.once('error', () => {
        this.spawnError = true;
        resolve();
      });
    });
  }

  /** The binary: $TIDINGS_BIN or target/release/tidings, relative to the project root. */
  static binary(): string {
    return path.resolve(PROJECT_ROOT, process.env.TIDINGS_BIN ?? 'target/release/tidings');
  }

  /** Spawn the server (cwd = project root) and wait until /healthz answers 200. */
  static async start({ port, args = [], label = `tidings:${port}` }: ServerOptions): Promise<TidingsServer> {
    const origin = `http://127.0.0.1:${port}`;
    if (await isHealthy(origin)) {
      throw new Error(`${origin} already answers /healthz: is a stale Tidings server still running?`);
    }
    const binary = TidingsServer.binary();
    const child = spawn(binary, ['--addr', `127.0.0.1:${port}`, ...args], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    const spawnFailed = new Promise<never>((_, reject) => {
      child.once('error', (error) =>
        reject(new Error(`could not start ${binary}: ${error.message} (build it, or set TIDINGS_BIN)`)),
      );
    });
    spawnFailed.catch(() => {}); // handled by the race below; never an unhandled rejection
    const server = new TidingsServer(child, port, label);
    try {
      await Promise.race([server.waitUntilHealthy(30_000), spawnFailed]);
    } catch (error) {
      await server.kill();
      server.dumpLog();
      throw error;
    }
    return server;
  }

  hasExited(): boolean {
    return this.spawnError || this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Kill the process (SIGKILL by default) and wait until it has exited. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.hasExited()) this.child.kill(signal);
    await Promise.race([this.exited, delay(10_000)]);
    if (!this.hasExited()) throw new Error(`${this.label} (pid ${this.child.pid}) did not exit`);
  }

  /** Everything the process printed so far. */
  output(): string {
    return this.log.join('\n');
  }

  /** Print the server's output to the test's output. */
  dumpLog(): void {
    console.log(`----- ${this.label} (pid ${this.child.pid}) output -----\n${this.output() || '(nothing)'}`);
  }

  private async waitUntilHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.hasExited()) {
        throw new Error(
          `${this.label} exited early (code ${this.child.exitCode}, signal ${this.child.signalCode})`,
        );
      }
      if (await isHealthy(this.origin)) return;
      await delay(100); // polling interval, not a guess at readiness
    }
    throw new Error(`${this.origin}/healthz did not answer 200 within ${timeoutMs} ms`);
  }
}

async function isHealthy(origin: string): Promise<boolean> {
  try {
    const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(1_000) });
    return response.status === 200;
  } catch {
    return false;
  }
}

/** A timer that never keeps the worker alive on its own. */
function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

// ------------------------------------------------- own Redis process ----

/** A free TCP port on 127.0.0.1 (free when asked; the OS may reuse it later). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/**
 * A redis-server process owned by a test: loopback only, no persistence.
 * `start` waits until it answers PING.
 */
export class RedisProcess {
  readonly url: string;
  private readonly exited: Promise<void>;
  private readonly log: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.url = `redis://127.0.0.1:${port}`;
    const keep = (chunk: Buffer) => this.log.push(chunk.toString('utf8'));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
  }

  static async start(): Promise<RedisProcess> {
    const port = await freePort();
    const child = spawn(
      process.env.REDIS_SERVER ?? 'redis-server',
      ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const redis = new RedisProcess(child, port);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) break;
      if (await redisPing(port)) return redis;
      await delay(50); // polling interval, not a guess at readiness
    }
    await redis.kill();
    throw new Error(`redis-server on port ${port} did not answer PING:\n${redis.log.join('')}`);
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await Promise.race([this.exited, delay(5_000)]);
  }
}

/** True when a Redis on 127.0.0.1:`port` answers PING with PONG. */
function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString('utf8').startsWith('+PONG')));
  });
}
