/**
 * Takes the README screenshots of a lively workspace (a conversation, a
 * running job, a streaming answer and someone typing): desktop
 * (docs/workspace.png), phone (docs/workspace-phone.png) and dark
 * (docs/workspace-dark.png).
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import {
  type Guest,
  joinAs,
  leave,
  sendMessage,
  sendPrompt,
  startJob,
  typeDraft,
} from './support/actions';
import {
  expectOperationState,
  expectPresence,
  expectStreamState,
  expectTypingIndicator,
} from './support/checks';
import { messages, readBackgroundLuminance, readStreamWordCount } from './support/finders';

const DOCS = path.resolve(__dirname, '../../docs');
const SCREENSHOT = path.join(DOCS, 'workspace.png');
const PHONE = path.join(DOCS, 'workspace-phone.png');
const DARK = path.join(DOCS, 'workspace-dark.png');
const ROOM = 'demo';

test.use({ viewport: { width: 1280, height: 900 } });

test('workspace screenshot for the docs', async ({ browser }) => {
  test.setTimeout(90_000);
  let alice: Guest | undefined;
  let bob: Guest | undefined;
  try {
    alice = await joinAs(browser, { room: ROOM, name: 'Alice' });
    bob = await joinAs(browser, { room: ROOM, name: 'Bob' });
    await expectPresence(alice.page, ['Alice', 'Bob']);

    const conversation: Array<[Guest, string]> = [
      [alice, 'Morning! Is the release build green?'],
      [bob, 'Yes, all checks passed overnight.'],
      [alice, 'Great, I will start the data export now.'],
      [bob, 'Ping me when it is done.'],
    ];
    for (const [guest, text] of conversation) {
      await sendMessage(guest.page, text);
      // The demo room may hold earlier runs' history: check the newest message.
      for (const viewer of [alice, bob]) {
        const newest = messages(viewer.page).last();
        await expect(newest.getByTestId('message-text')).toHaveText(text);
        await expect(newest.getByTestId('message-author')).toHaveText(guest.name);
      }
    }

    const { operation } = await startJob(alice.page);
    await expectOperationState(operation, 'running');

    await sendPrompt(alice.page, 'Summarise the conversation so far.');
    await expectStreamState(alice.page, 'streaming');
    await expect
      .poll(() => readStreamWordCount(alice!.page), { message: 'about 40 words streamed' })
      .toBeGreaterThanOrEqual(40);

    await typeDraft(bob.page, 'Sounds good, I');
    await expectTypingIndicator(alice.page, 'Bob is typing');

    await alice.page.screenshot({ path: SCREENSHOT, fullPage: true });

    // The same moment on a phone: the top of the page, as one first sees it.
    await alice.page.setViewportSize({ width: 390, height: 844 });
    await expect(messages(alice.page).last()).toBeVisible();
    await alice.page.screenshot({ path: PHONE });

    // And in a dark system theme, with no choice of the page's own stored.
    await alice.page.setViewportSize({ width: 1280, height: 900 });
    await alice.page.emulateMedia({ colorScheme: 'dark' });
    await expect(alice.page.locator('html')).not.toHaveAttribute('data-theme', 'light');
    await expect
      .poll(() => readBackgroundLuminance(alice!.page), { message: 'a dark page' })
      .toBeLessThan(0.5);
    await alice.page.screenshot({ path: DARK, fullPage: true });
  } finally {
    await leave(alice, bob);
  }

  for (const shot of [SCREENSHOT, PHONE, DARK]) {
    const { size } = statSync(shot);
    console.log(`screenshot: ${path.basename(shot)} (${size} bytes)`);
    expect(size, `${path.basename(shot)} is a real picture`).toBeGreaterThan(10 * 1024);
  }
});
