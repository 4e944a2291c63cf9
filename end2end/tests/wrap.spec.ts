/**
 * Long words and URLs wrap (issue 14, R2): a message of 2,000 characters
 * without a space (the composer's limit), a long URL and the assistant's
 * echo of a spaceless prompt stay inside their boxes and inside the page,
 * on a 320 px wide screen and on the desktop; toasts are held to the
 * screen's width and break long words.
 */
import { expect, test } from '@playwright/test';
import { type Guest, joinAs, leave, sendMessage, sendPrompt, uniqueRoom } from './support/actions';
import { expectMessage, expectStreamState, expectWrapsInside } from './support/checks';
import { messagesWithText, streamText } from './support/finders';

const NARROW = { viewport: { width: 320, height: 640 }, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 800 } };

test.describe('long words wrap', () => {
  let guests: Guest[] = [];

  test.afterEach(async () => {
    await leave(...guests);
    guests = [];
  });

  for (const [label, contextOptions] of [
    ['320 px', NARROW],
    ['desktop', DESKTOP],
  ] as const) {
    test(`messages and the assistant's text wrap at ${label}`, async ({ browser }) => {
      const room = uniqueRoom('wrap');
      const guest = await joinAs(browser, { room, name: 'Wren', contextOptions });
      guests.push(guest);
      const page = guest.page;

      const word = `${'x'.repeat(1_990)}${Math.random().toString(36).slice(2, 8)}`.slice(0, 2_000);
      const url = `https://example.com/${'a-very-long-path-segment/'.repeat(12)}?q=${'z'.repeat(80)}`;
      for (const text of [word, url]) {
        await sendMessage(page, text);
        await expectMessage(page, { author: 'Wren', text });
        await expectWrapsInside(messagesWithText(page, text), 'the message');
        const height = await messagesWithText(page, text).evaluate((el) => el.clientHeight);
        expect(height, 'the text took several lines').toBeGreaterThan(40);
      }

      await sendPrompt(page, 'y'.repeat(160));
      await expectStreamState(page, 'completed', { timeout: 30_000 });
      await expectWrapsInside(streamText(page), "the assistant's text");

      const toasts = await page.locator('.toasts').evaluate((el) => {
        const style = getComputedStyle(el);
        return { maxWidth: parseFloat(style.maxWidth), screen: window.innerWidth };
      });
      expect(toasts.maxWidth, 'toasts fit the screen').toBeLessThanOrEqual(toasts.screen - 16);
    });
  }
});
