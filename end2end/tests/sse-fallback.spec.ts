/**
 * The SSE fallback: with every WebSocket upgrade to /ws blocked (route
 * interception closes it before the server is reached, as a blocking proxy
 * would), the page falls back to server-sent events plus POST, says
 * "Connected (fallback)", and still gets room messages, operation progress
 * and the assistant's stream. Unblocked, it goes back to the WebSocket.
 */
import { expect, test } from '@playwright/test';
import {
  type Guest,
  joinAs,
  leave,
  sendMessage,
  sendPrompt,
  startJob,
  uniqueRoom,
  uniqueText,
  workspaceUrl,
} from './support/actions';
import {
  expectConnected,
  expectFallbackConnected,
  expectMessage,
  expectPresence,
  expectProgressRisesToCompletion,
  expectStreamState,
} from './support/checks';
import { badge, operationById, progressBar, readStreamText } from './support/finders';

test('with WebSockets blocked, the page falls back to SSE and everything still arrives', async ({
  browser,
}) => {
  // Stream (~10–20 s) plus one probe interval (30 s) for the way back.
  test.setTimeout(150_000);
  const room = uniqueRoom('sse');
  let blocked = true;
  let refused = 0;
  const context = await browser.newContext();
  await context.routeWebSocket(/\/ws(\?|$)/, (ws) => {
    if (blocked) {
      refused += 1;
      ws.close();
    } else {
      ws.connectToServer();
    }
  });
  let bob: Guest | undefined;
  try {
    const page = await context.newPage();
    await page.goto(workspaceUrl({ room, name: 'Sam' }));
    await expectFallbackConnected(page, { timeout: 30_000 });
    expect(refused, 'the WebSocket was tried and refused first').toBeGreaterThanOrEqual(2);

    await test.step('room messages both ways', async () => {
      bob = await joinAs(browser, { room, name: 'Bob' });
      await expectPresence(page, ['Bob', 'Sam']);
      const hello = uniqueText('Hello to the fallback');
      await sendMessage(bob.page, hello);
      await expectMessage(page, { author: 'Bob', text: hello });
      const reply = uniqueText('Reply over POST');
      await sendMessage(page, reply);
      await expectMessage(bob.page, { author: 'Sam', text: reply });
    });

    await test.step('operation progress rises to 100%', async () => {
      const { id, operation } = await startJob(page);
      await expectProgressRisesToCompletion(operation);
      await expect(progressBar(operationById(bob!.page, id))).toHaveAttribute(
        'aria-valuenow',
        '100',
      );
    });

    await test.step('the assistant stream arrives complete', async () => {
      await sendPrompt(page, 'How does the fallback work?');
      await expectStreamState(page, 'streaming');
      await expectStreamState(page, 'completed', { timeout: 60_000 });
      await expectStreamState(bob!.page, 'completed', { timeout: 10_000 });
      const text = await readStreamText(page);
      expect(text.split(/\s+/).length, 'a full answer').toBeGreaterThan(50);
      expect(text, 'the same text as over the WebSocket').toBe(await readStreamText(bob!.page));
    });

    await test.step('unblocked, the page goes back to the WebSocket', async () => {
      await expect(badge(page)).toHaveAttribute('data-transport', 'sse');
      blocked = false;
      await expect(badge(page)).toHaveAttribute('data-transport', 'websocket', {
        timeout: 45_000,
      });
      await expectConnected(page);
      const after = uniqueText('Back on the WebSocket');
      await sendMessage(bob!.page, after);
      await expectMessage(page, { author: 'Bob', text: after });
    });
  } finally {
    await leave(bob);
    await context.close();
  }
});
