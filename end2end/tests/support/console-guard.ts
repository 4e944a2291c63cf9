/**
 * Console guard: every workspace page the suite opens records the console
 * errors and warnings it logs and the exceptions it throws, and `leave()`
 * fails the test when there were any. A normal visit logs nothing.
 *
 * Only the browser's own reports of a network failure a test causes on
 * purpose (a server it stops, a proxy it cuts) are let through; a 404, a
 * panic, a hydration warning or anything the app logs is not.
 */
import type { Page } from '@playwright/test';

/** Messages the browser logs when a connection the test broke fails. */
const CAUSED_NETWORK_FAILURES: RegExp[] = [
  /^WebSocket connection to '.*' failed/,
  /^Failed to load resource: net::ERR_(CONNECTION_REFUSED|CONNECTION_RESET|CONNECTION_CLOSED|EMPTY_RESPONSE|INCOMPLETE_CHUNKED_ENCODING|NETWORK_CHANGED|INTERNET_DISCONNECTED|ABORTED)/,
  /^Failed to load resource: the server responded with a status of 50[23]/,
  /^EventSource's response has a MIME type/,
];

const problems = new WeakMap<Page, string[]>();

/** Start recording `page`'s console errors, warnings and uncaught exceptions. */
export function watchConsole(page: Page, { strict = false }: { strict?: boolean } = {}): void {
  const seen: string[] = [];
  problems.set(page, seen);
  page.on('console', (message) => {
    const type = message.type();
    if (type !== 'error' && type !== 'warning') return;
    const text = message.text();
    if (!strict && CAUSED_NETWORK_FAILURES.some((pattern) => pattern.test(text))) return;
    seen.push(`console.${type}: ${text}`);
  });
  page.on('pageerror', (error) => seen.push(`uncaught: ${error.message}`));
}

/** What `page` logged so far (empty when it is not watched). */
export function consoleProblems(page: Page): string[] {
  return [...(problems.get(page) ?? [])];
}

/** What `page` logged so far, forgotten once reported (a page fails one test, not every later one). */
export function takeConsoleProblems(page: Page): string[] {
  const seen = consoleProblems(page);
  problems.get(page)?.splice(0);
  return seen;
}
