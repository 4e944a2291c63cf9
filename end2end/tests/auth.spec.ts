/**
 * Tokens in the browser: a server with --require-auth refuses a guest,
 * accepts a token from the URL or pasted into the page, and a bad token
 * ends in Offline with the reason shown instead of endless retries.
 */
import { execFileSync } from 'node:child_process';
import { expect, test } from '@playwright/test';
import {
  type Guest,
  joinAs,
  leave,
  openConnectionDetails,
  PROJECT_ROOT,
  sendMessage,
  TidingsServer,
  uniqueRoom,
  uniqueText,
} from './support/actions';
import { expectBadge, expectConnected, expectMessage, expectPresence } from './support/checks';
import { badge, connLastError } from './support/finders';

const PORT = 3903;
const SECRET = 'e2e-secret-e2e-secret-e2e-secret-0123';
const origin = `http://127.0.0.1:${PORT}`;

/** Mints a token with the real binary's `token` subcommand. */
function mint(sub: string, name: string): string {
  return execFileSync(
    TidingsServer.binary(),
    ['--jwt-secret', SECRET, 'token', '--sub', sub, '--name', name, '--subscribe', '*', '--publish', '*', '--ttl', '1h'],
    { cwd: PROJECT_ROOT, encoding: 'utf8' },
  ).trim();
}

test.describe('tokens (server with --require-auth)', () => {
  let server: TidingsServer | undefined;
  let guests: Guest[] = [];

  test.beforeAll(async () => {
    server = await TidingsServer.start({
      port: PORT,
      args: ['--require-auth', '--jwt-secret', SECRET, '--auth-timeout-ms', '1000'],
      label: 'auth-server',
    });
  });

  test.afterEach(async () => {
    await leave(...guests);
    guests = [];
  });

  test.afterAll(async () => {
    await server?.kill();
  });

  test('a token in the URL signs in; the name comes from the token', async ({ browser }) => {
    const room = uniqueRoom('token');
    const token = mint('alice', 'Alice Token');
    const query = new URLSearchParams({ room, token }).toString();
    const context = await browser.newContext();
    const page = await context.newPage();
    guests.push({ name: 'Alice', context, page });
    await page.goto(`${origin}/?${query}`);
    await expectConnected(page, { timeout: 20_000 });
    await expect(page.getByTestId('signed-in')).toHaveText('Signed in as Alice Token');
    await expectPresence(page, ['Alice Token']);
    const text = uniqueText('Signed message');
    await sendMessage(page, text);
    await expectMessage(page, { author: 'Alice Token', text });
  });

  test('a guest is refused, and a pasted token lets them in', async ({ browser }) => {
    const room = uniqueRoom('guest');
    const guest = await joinAs(browser, { room, name: 'Guesty', origin, waitForConnected: false });
    guests.push(guest);
    // Without a token the server waits for `auth`, then closes (4003): never Connected.
    await expect(connLastError(guest.page)).toContainText('4003', { timeout: 15_000 });
    await expect(badge(guest.page)).not.toHaveAttribute('data-state', 'connected');

    await guest.page.getByTestId('token-panel').locator('summary').click();
    await guest.page.getByTestId('token-input').fill(mint('bob', 'Bob'));
    await guest.page.getByTestId('token-save').click();
    await expectConnected(guest.page, { timeout: 15_000 });
    await expectPresence(guest.page, ['Bob']);
  });

  test('a bad token ends in Offline with the reason, not endless retries', async ({ browser }) => {
    const room = uniqueRoom('bad');
    const context = await browser.newContext();
    const page = await context.newPage();
    guests.push({ name: 'Mallory', context, page });
    await page.goto(`${origin}/?${new URLSearchParams({ room, token: 'not.a.token' })}`);
    await expectBadge(page, 'offline', { timeout: 20_000 });
    await openConnectionDetails(page);
    await expect(connLastError(page)).toContainText('unauthorized');
  });
});
