/**
 * A normal visit logs nothing: no console error or warning, no uncaught
 * exception, no failed request (the favicon is served, not a 404), on the
 * workspace through a message, an answer and a job, and on the admin page.
 * Stricter than the guard every other spec has (see support/console-guard):
 * here not even a network failure is let through.
 */
import { expect, test } from '@playwright/test';
import { sendMessage, sendPrompt, startJob, uniqueRoom, uniqueText, workspaceUrl } from './support/actions';
import { expectConnected, expectMessage, expectOperationState, expectStreamState } from './support/checks';
import { consoleProblems, watchConsole } from './support/console-guard';
import { mintToken } from './support/tokens';

test('a normal visit logs no console error or warning and fetches no missing file', async ({
  page,
}) => {
  watchConsole(page, { strict: true });
  const failed: string[] = [];
  page.on('response', (response) => {
    if (response.status() >= 400) failed.push(`${response.status()} ${response.url()}`);
  });
  page.on('requestfailed', (request) => failed.push(`failed ${request.url()}`));

  await test.step('the workspace: a message, an answer, a job', async () => {
    await page.goto(workspaceUrl({ room: uniqueRoom('console'), name: 'Quiet' }));
    await expectConnected(page, { timeout: 20_000 });
    const text = uniqueText('Nothing to report');
    await sendMessage(page, text);
    await expectMessage(page, { author: 'Quiet', text });
    await sendPrompt(page, 'What does a quiet console look like?');
    await expectStreamState(page, 'completed', { timeout: 30_000 });
    const { operation } = await startJob(page);
    await expectOperationState(operation, 'completed', { timeout: 20_000 });
  });

  await test.step('the page links an icon the server serves', async () => {
    const href = await page.locator('link[rel="icon"]').getAttribute('href');
    expect(href, 'the page links a favicon').toBeTruthy();
    const icon = await page.request.get(href!);
    expect(icon.status()).toBe(200);
    expect(icon.headers()['content-type']).toBe('image/svg+xml');
    expect((await page.request.get('/favicon.ico')).status(), 'the conventional path too').toBe(200);
  });

  await test.step('the admin page', async () => {
    const token = mintToken({ sub: 'quiet-admin', name: 'Quiet admin', admin: true });
    await page.goto(`/admin?${new URLSearchParams({ token })}`);
    await expectConnected(page, { timeout: 20_000 });
    await expect(page.getByTestId('admin-connections-value')).toHaveText(/^\d+$/);
  });

  expect(consoleProblems(page), 'console errors and warnings').toEqual([]);
  expect(failed, 'requests that failed or answered 4xx/5xx').toEqual([]);
});
