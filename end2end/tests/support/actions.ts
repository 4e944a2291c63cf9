/**
 * Actions: what a user (or the test harness) does. Opening the workspace,
 * sending messages, starting jobs and streams, and — for the restart spec —
 * running a Tidings server process of the test's own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  expect,
  type Locator,
  type Page,
} from '@playwright/test';
import { expectConnected } from './checks';
import {
  connDetails,
  messageInput,
  messageSendButton,
  opCancelButton,
  operationById,
  promptInput,
  promptSendButton,
  readOperationIds,
  startJobButton,
  streamStopButton,
} from './finders';

/** The project root (holds Cargo.toml and target/). */
export const PROJECT_ROOT = path.resolve(__dirname, '../../..');
/** end2end/test-results (Playwright's outputDir). */
export const RESULTS_DIR = path.resolve(__dirname, '../../test-results');

/** First page load includes fetching and compiling the WASM bundle. */
const FIRST_CONNECT_TIMEOUT_MS = 20_000;

// ------------------------------------------------------------ workspace ----

export interface WorkspaceOptions {
  room: string;
  name: string;
  /** e.g. 'http://127.0.0.1:3901'; defaults to the config's baseURL. */
  origin?: string;
  /** Server base URLs the page connects to in turn (`?servers=`). */
  servers?: string[];
  /** Wait until the badge shows Connected (default true). */
  waitForConnected?: boolean;
}

/** A room name no other test (or earlier run) uses. */
export function uniqueRoom(label: string): string {
  const random = Math.random().toString(36).slice(2, 8);
  return `e2e-${label}-${Date.now()}-${random}`;
}

/** A message text that is unique across runs, so it can be found exactly. */
export function uniqueText(prefix: string): string {
  return `${prefix} #${Math.random().toString(36).slice(2, 8)}`;
}

export function workspaceUrl({ room, name, origin, servers }: WorkspaceOptions): string {
  const params: Record<string, string> = { room, name };
  if (servers !== undefined) params.servers = servers.join(',');
  const query = new URLSearchParams(params).toString();
  return `${origin ?? ''}/?${query}`;
}

/** Open the workspace in a new page of `context`, by default waiting until Connected. */
export async function openWorkspace(
  context: BrowserContext,
  options: WorkspaceOptions,
): Promise<Page> {
  const page = await context.newPage();
  await page.goto(workspaceUrl(options));
  if (options.waitForConnected ?? true) {
    await expectConnected(page, { timeout: FIRST_CONNECT_TIMEOUT_MS });
  }
  return page;
}

/** One person in a room: their own browser context and workspace page. */
export interface Guest {
  name: string;
  context: BrowserContext;
  page: Page;
}

/** A new browser context (its own storage, its own socket) that opens the room as `name`. */
export async function joinAs(
  browser: Browser,
  options: WorkspaceOptions & { contextOptions?: BrowserContextOptions },
): Promise<Guest> {
  const context = await browser.newContext(options.contextOptions);
  try {
    const page = await openWorkspace(context, options);
    return { name: options.name, context, page };
  } catch (error) {
    await context.close().catch(() => {});
    throw error;
  }
}

/** Close every guest's context; already closed ones are fine. */
export async function leave(...guests: Array<Guest | undefined>): Promise<void> {
  await Promise.all(guests.map((guest) => guest?.context.close().catch(() => {})));
}

/** Open the connection details `<details>` so its contents are visible. */
export async function openConnectionDetails(page: Page): Promise<void> {
  const details = connDetails(page);
  if ((await details.getAttribute('open')) === null) {
    await details.locator('summary').first().click();
  }
}

// ------------------------------------------------------------------ room ----

/** Type `text` into the message box and send it (button by default, or Enter). */
export async function sendMessage(
  page: Page,
  text: string,
  { via = 'button' }: { via?: 'button' | 'enter' } = {},
): Promise<void> {
  await messageInput(page).fill(text);
  if (via === 'enter') {
    await messageInput(page).press('Enter');
  } else {
    await messageSendButton(page).click();
  }
}

/** Type into the message box without sending (the app reports typing=true). */
export async function typeDraft(page: Page, text: string): Promise<void> {
  await messageInput(page).fill(text);
}

/** Empty the message box (the app reports typing=false). */
export async function clearDraft(page: Page): Promise<void> {
  await messageInput(page).fill('');
}

// ------------------------------------------------------------ operations ----

/** Click start-job and return the operation it created (found by its new id). */
export async function startJob(page: Page): Promise<{ id: string; operation: Locator }> {
  const before = new Set(await readOperationIds(page));
  await startJobButton(page).click();
  let id: string | undefined;
  await expect
    .poll(
      async () => {
        id = (await readOperationIds(page)).find((candidate) => !before.has(candidate));
        return id;
      },
      { message: 'a new operation appears after start-job' },
    )
    .toBeTruthy();
  return { id: id!, operation: operationById(page, id!) };
}

export async function cancelOperation(operation: Locator): Promise<void> {
  await opCancelButton(operation).click();
}

// ------------------------------------------------------------- assistant ----

export async function sendPrompt(page: Page, prompt: string): Promise<void> {
  await promptInput(page).fill(prompt);
  await promptSendButton(page).click();
}

export async function stopStream(page: Page): Promise<void> {
  await streamStopButton(page).click();
}

// --------------------------------------------------------------- metrics ----

/**
 * Record a measurement: merged into end2end/test-results/metrics.json and
 * printed as `METRIC name=value` for log scrapers.
 */
export function recordMetric(name: string, value: number): void {
  const file = path.join(RESULTS_DIR, 'metrics.json');
  mkdirSync(RESULTS_DIR, { recursive: true });
  let metrics: Record<string, number> = {};
  try {
    metrics = JSON.parse(readFileSync(file, 'utf8')) as Record<string, number>;
  } catch {
    // No metrics yet this run.
  }
  metrics[name] = value;
  writeFileSync(file, `${JSON.stringify(metrics, null, 2)}\n`);
  console.log(`METRIC ${name}=${value}`);
}

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
