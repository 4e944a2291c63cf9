/**
 * Actions: what a user (or the test harness) does. Opening the workspace,
 * sending messages, starting jobs and streams, recording metrics. The
 * processes a test runs itself are in `processes.ts` (re-exported here).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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
import { takeConsoleProblems, watchConsole } from './console-guard';
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

export {
  freePort,
  PROJECT_ROOT,
  RedisProcess,
  type ServerOptions,
  TidingsServer,
} from './processes';
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
  watchConsole(page);
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

/**
 * Close every guest's context (already closed ones are fine), then fail if
 * any of their pages logged a console error or warning (see console-guard).
 */
export async function leave(...guests: Array<Guest | undefined>): Promise<void> {
  await Promise.all(guests.map((guest) => guest?.context.close().catch(() => {})));
  const logged = guests.flatMap((guest) =>
    guest ? takeConsoleProblems(guest.page).map((line) => `${guest.name}: ${line}`) : [],
  );
  expect(logged, 'the pages logged no console errors or warnings').toEqual([]);
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
