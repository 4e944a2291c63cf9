/**
 * When and who (issue 14, R3): every message shows its time ("just now",
 * the exact time on hover and on keyboard focus); consecutive messages of
 * one author are grouped under one name; an operation says who started it
 * and when, and jobs of the same label are numbered.
 */
import { expect, test } from '@playwright/test';
import {
  type Guest,
  joinAs,
  leave,
  sendMessage,
  startJob,
  uniqueRoom,
  uniqueText,
} from './support/actions';
import { expectMessage } from './support/checks';
import { messageInput, messages, messagesWithText } from './support/finders';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
/** What a time of the last minutes reads (a busy machine may take over 45 s). */
const RECENT = /(just now|\d+ min ago)/;

test.describe('times, groups and who started what', () => {
  let guests: Guest[] = [];

  test.afterEach(async () => {
    await leave(...guests);
    guests = [];
  });

  test('messages show their time and group by author', async ({ browser }) => {
    const room = uniqueRoom('timeline');
    const alice = await joinAs(browser, { room, name: 'Alice' });
    guests.push(alice);
    const bob = await joinAs(browser, { room, name: 'Bob' });
    guests.push(bob);

    const plan: Array<[Guest, string]> = [
      [alice, uniqueText('One')],
      [alice, uniqueText('Two')],
      [alice, uniqueText('Three')],
      [bob, uniqueText('Bob here')],
      [alice, uniqueText('Back to me')],
    ];
    for (const [guest, text] of plan) {
      await sendMessage(guest.page, text);
      await expectMessage(bob.page, { author: guest.name, text });
    }

    await test.step('consecutive messages of one author are grouped', async () => {
      const grouped = await messages(bob.page).evaluateAll((items) =>
        items.map((item) => item.getAttribute('data-grouped')),
      );
      expect(grouped).toEqual(['false', 'true', 'true', 'false', 'false']);
      const second = messagesWithText(bob.page, plan[1][1]);
      await expect(second.getByTestId('message-author'), 'the name is still read out').toHaveText('Alice');
      const width = await second.getByTestId('message-author').evaluate((el) => el.getBoundingClientRect().width);
      expect(width, 'but not shown again').toBeLessThanOrEqual(1);
      await expect(messagesWithText(bob.page, plan[0][1]).getByTestId('message-author')).toBeVisible();
    });

    await test.step('each message has a relative time with the exact one on hover', async () => {
      const times = messages(bob.page).getByTestId('message-time');
      await expect(times).toHaveCount(plan.length);
      for (const time of await times.all()) {
        await expect(time).toHaveText(RECENT);
        await expect(time).toHaveAttribute('datetime', ISO_UTC);
        const title = await time.getAttribute('title');
        expect(title, 'the exact time is the tooltip').toMatch(/\d{1,2}:\d{2}:\d{2}/);
        await expect(time).toHaveAttribute('data-exact', title!);
      }
      const sent = Date.parse((await times.last().getAttribute('datetime'))!);
      expect(Math.abs(sent - Date.now()), 'the time is when it was sent').toBeLessThan(120_000);
    });

    await test.step('the keyboard reaches the newest time and shows the exact time', async () => {
      await messageInput(bob.page).focus();
      await bob.page.keyboard.press('Shift+Tab');
      const newest = messagesWithText(bob.page, plan[4][1]).getByTestId('message-time');
      await expect(newest).toBeFocused();
      const shown = await newest.evaluate((el) => getComputedStyle(el, '::after').content);
      expect(shown).toBe(JSON.stringify(await newest.getAttribute('data-exact')));
    });
  });

  test('operations say who started them and when, and are numbered per label', async ({
    browser,
  }) => {
    const room = uniqueRoom('timeline-ops');
    const alice = await joinAs(browser, { room, name: 'Alice' });
    guests.push(alice);
    const first = await startJob(alice.page);
    const second = await startJob(alice.page);
    const bob = await joinAs(browser, { room, name: 'Bob' });
    guests.push(bob);

    for (const page of [alice.page, bob.page]) {
      for (const [job, number] of [
        [first, '#1'],
        [second, '#2'],
      ] as const) {
        const operation = page.locator(`[data-testid="operation"][data-operation-id="${job.id}"]`);
        await expect(operation.getByTestId('op-number')).toHaveText(number);
        await expect(operation.getByTestId('op-meta')).toHaveText(new RegExp(`^Started by Alice · ${RECENT.source}$`));
        await expect(operation.getByTestId('op-started')).toHaveAttribute('datetime', ISO_UTC);
      }
    }
  });
});
