/**
 * Finders: where things are on the Tidings workspace page, and small readers
 * that turn what is on the page into plain values. Every element is found by
 * its `data-testid` (Playwright's default test id attribute).
 *
 * Nothing in here waits for anything or asserts anything; see checks.ts.
 */
import type { Locator, Page } from '@playwright/test';

declare global {
  interface Window {
    /** Instrumentation the app exposes for the tests. */
    __tidings?: {
      /** `performance.now()` when the badge first became Connected. */
      connectedAt?: number;
      /** `performance.now()` when `hydrate()` began, and when it returned. */
      hydrateStart?: number;
      hydratedAt?: number;
    };
  }
}

export type ConnState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'offline';
export type StreamState = 'streaming' | 'completed' | 'cancelled' | 'failed' | 'interrupted';
export type OperationState = 'running' | 'completed' | 'failed' | 'cancelled';

// ---------------------------------------------------------------- header ----

export const badge = (page: Page): Locator => page.getByTestId('conn-badge');

export const connDetails = (page: Page): Locator => page.getByTestId('conn-details');
export const connAttempt = (page: Page): Locator => page.getByTestId('conn-attempt');
export const connCountdown = (page: Page): Locator => page.getByTestId('conn-countdown');
export const connLastError = (page: Page): Locator => page.getByTestId('conn-last-error');
/** The server base URL of the connection, or "this site". */
export const connServer = (page: Page): Locator => page.getByTestId('conn-server');
export const retryNowButton = (page: Page): Locator => page.getByTestId('retry-now');

export const toasts = (page: Page): Locator => page.getByTestId('toast');

// ------------------------------------------------------------------ name ----

export const nameInput = (page: Page): Locator => page.getByTestId('name-input');
export const nameSaveButton = (page: Page): Locator => page.getByTestId('name-save');

// ------------------------------------------------------------------ room ----

export const messageList = (page: Page): Locator => page.getByTestId('message-list');
export const messages = (page: Page): Locator => messageList(page).getByTestId('message');
/** The scroll area around the list; `data-following` says whether it follows new messages. */
export const messageScroll = (page: Page): Locator => page.getByTestId('message-scroll');
/** "N new messages ↓", shown while the reader is scrolled up and messages arrived. */
export const newMessagesButton = (page: Page): Locator => page.getByTestId('new-messages');
export const messageInput = (page: Page): Locator => page.getByTestId('message-input');
export const messageSendButton = (page: Page): Locator => page.getByTestId('message-send');
export const presenceUsers = (page: Page): Locator =>
  page.getByTestId('presence-list').getByTestId('presence-user');
export const typingIndicator = (page: Page): Locator => page.getByTestId('typing-indicator');

/** Messages whose text is exactly `text` (surrounding whitespace ignored). */
export const messagesWithText = (page: Page, text: string): Locator =>
  messages(page).filter({
    has: page.getByTestId('message-text').filter({ hasText: exactly(text) }),
  });

// ------------------------------------------------------------- assistant ----

export const promptInput = (page: Page): Locator => page.getByTestId('prompt-input');
export const promptSendButton = (page: Page): Locator => page.getByTestId('prompt-send');
export const streamText = (page: Page): Locator => page.getByTestId('stream-text');
export const streamStopButton = (page: Page): Locator => page.getByTestId('stream-stop');
export const streamStatus = (page: Page): Locator => page.getByTestId('stream-status');
export const assistantTyping = (page: Page): Locator => page.getByTestId('assistant-typing');

// ------------------------------------------------------------ operations ----

export const startJobButton = (page: Page): Locator => page.getByTestId('start-job');
/** All operations, newest first. */
export const operations = (page: Page): Locator => page.getByTestId('operation');
export const operationById = (page: Page, id: string): Locator =>
  page.locator(`[data-testid="operation"][data-operation-id="${cssString(id)}"]`);
export const progressBar = (operation: Locator): Locator => operation.getByRole('progressbar');
export const opPercent = (operation: Locator): Locator => operation.getByTestId('op-percent');
export const opStage = (operation: Locator): Locator => operation.getByTestId('op-stage');
export const opEta = (operation: Locator): Locator => operation.getByTestId('op-eta');
export const opCancelButton = (operation: Locator): Locator => operation.getByTestId('op-cancel');

// --------------------------------------------------------------- readers ----

/** Number of whitespace-separated words in `text`. */
export function wordCount(text: string): number {
  return text.split(/\s+/).filter((word) => word.length > 0).length;
}

/** The assistant's answer as the user sees it (paragraph breaks kept). */
export async function readStreamText(page: Page): Promise<string> {
  return (await streamText(page).innerText()).trim();
}

export async function readStreamWordCount(page: Page): Promise<number> {
  return wordCount(await readStreamText(page));
}

/** `conn-countdown[data-ms]`: ms until the next connection try, or null if none is scheduled. */
export async function readCountdownMs(page: Page): Promise<number | null> {
  const raw = (await connCountdown(page).getAttribute('data-ms'))?.trim() ?? '';
  if (raw === '') return null;
  const ms = Number(raw);
  return Number.isFinite(ms) ? ms : null;
}

/** `conn-attempt` as a number (NaN if it is not one). */
export async function readAttempt(page: Page): Promise<number> {
  return Number(((await connAttempt(page).textContent()) ?? '').trim());
}

/** Display names in the presence list, sorted. */
export async function readPresenceNames(page: Page): Promise<string[]> {
  const names = await presenceUsers(page).allTextContents();
  return names.map((name) => name.trim()).sort();
}

/** Texts of all messages in list order (oldest first). */
export async function readMessageTexts(page: Page): Promise<string[]> {
  const texts = await messages(page).getByTestId('message-text').allTextContents();
  return texts.map((text) => text.trim());
}

/** `data-operation-id` of every operation in list order (newest first). */
export async function readOperationIds(page: Page): Promise<string[]> {
  return operations(page).evaluateAll((elements) =>
    elements.map((element) => element.getAttribute('data-operation-id') ?? ''),
  );
}

/** The operation's progressbar `aria-valuenow` (NaN if missing). */
export async function readProgress(operation: Locator): Promise<number> {
  const raw = await progressBar(operation).getAttribute('aria-valuenow');
  return raw === null || raw.trim() === '' ? Number.NaN : Number(raw);
}

/** `window.__tidings.connectedAt`, or undefined before the first Connected. */
export async function readConnectedAt(page: Page): Promise<number | undefined> {
  return page.evaluate(() => window.__tidings?.connectedAt);
}

/** How far the message list is from its bottom (px; 0 when scrolled all the way down). */
export async function readMessageScrollGap(page: Page): Promise<number> {
  return messageScroll(page).evaluate(
    (el) => el.scrollHeight - el.scrollTop - el.clientHeight,
  );
}

/**
 * How far `locator`'s content sticks out past its own box and past the
 * page's right edge (px; 0 and 0 when everything wraps inside).
 */
export async function readOverflow(
  locator: Locator,
): Promise<{ ownBox: number; pageEdge: number }> {
  return locator.evaluate((el) => ({
    ownBox: Math.max(0, el.scrollWidth - el.clientWidth),
    pageEdge: Math.max(
      0,
      Math.ceil(el.getBoundingClientRect().right) - document.documentElement.clientWidth,
      document.documentElement.scrollWidth - document.documentElement.clientWidth,
    ),
  }));
}

// --------------------------------------------------------------- helpers ----

/** A regex matching exactly `text`, ignoring surrounding whitespace. */
export function exactly(text: string): RegExp {
  return new RegExp(`^\\s*${escapeRegExp(text)}\\s*$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function cssString(text: string): string {
  return text.replace(/["\\]/g, '\\$&');
}

/** Relative luminance (0 black … 1 white) of the body's background. */
export async function readBackgroundLuminance(page: Page): Promise<number> {
  return page.evaluate(() => {
    const [r, g, b] = getComputedStyle(document.body)
      .backgroundColor.match(/[\d.]+/g)!
      .slice(0, 3)
      .map((v) => {
        const c = Number(v) / 255;
        return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  });
}
