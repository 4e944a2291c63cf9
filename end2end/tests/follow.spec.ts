/**
 * The room's message list follows the conversation (issue 14, R1): a
 * reader at the bottom stays on the newest message as messages arrive,
 * on a phone too; a late joiner lands on the newest message; a reader who
 * scrolled up stays where they are and gets a "N new messages ↓" button
 * that jumps down.
 */
import { expect, test } from '@playwright/test';
import { type Guest, joinAs, leave, sendMessage, uniqueRoom, uniqueText } from './support/actions';
import { expectFollowingNewest, expectMessage } from './support/checks';
import { messageScroll, newMessagesButton, readMessageScrollGap } from './support/finders';

const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
/** More than the list shows at once on any screen. */
const BURST = 60;

test.describe('room list follows the conversation', () => {
  let guests: Guest[] = [];

  test.afterEach(async () => {
    await leave(...guests);
    guests = [];
  });

  test('readers stay on the newest message; scrolled-up readers get a jump button', async ({
    browser,
  }) => {
    const room = uniqueRoom('follow');
    const alice = await joinAs(browser, { room, name: 'Alice' });
    guests.push(alice);
    const bob = await joinAs(browser, { room, name: 'Bob', contextOptions: PHONE });
    guests.push(bob);

    const burst = Array.from({ length: BURST }, (_, i) => uniqueText(`Burst ${i}`));
    await test.step(`Alice sends ${BURST} messages; Bob's phone follows them`, async () => {
      for (const text of burst) await sendMessage(alice.page, text);
      await expectMessage(bob.page, { author: 'Alice', text: burst[BURST - 1] });
      await expectFollowingNewest(bob.page, burst[BURST - 1]);
      const overflow = await messageScroll(bob.page).evaluate((el) => el.scrollHeight - el.clientHeight);
      expect(overflow, 'the list is taller than its box (the test scrolls for real)').toBeGreaterThan(200);
    });

    await test.step('Carol joins late on a phone and lands on the newest message', async () => {
      const carol = await joinAs(browser, { room, name: 'Carol', contextOptions: PHONE });
      guests.push(carol);
      await expectMessage(carol.page, { author: 'Alice', text: burst[BURST - 1] });
      await expectFollowingNewest(carol.page, burst[BURST - 1]);
    });

    const later = [uniqueText('Later 1'), uniqueText('Later 2'), uniqueText('Later 3')];
    await test.step('Bob scrolls up; new messages do not move him and are counted', async () => {
      await messageScroll(bob.page).evaluate((el) => {
        el.scrollTop = 0;
      });
      await expect(messageScroll(bob.page), 'scrolling up stops following').toHaveAttribute(
        'data-following',
        'false',
      );
      for (const text of later) await sendMessage(alice.page, text);
      await expectMessage(bob.page, { author: 'Alice', text: later[2] });
      await expect(newMessagesButton(bob.page)).toHaveText('3 new messages ↓');
      const top = await messageScroll(bob.page).evaluate((el) => el.scrollTop);
      expect(top, 'Bob is still where he scrolled to').toBe(0);
      expect(await readMessageScrollGap(bob.page)).toBeGreaterThan(200);
    });

    await test.step('the button jumps to the newest message and goes away', async () => {
      await newMessagesButton(bob.page).click();
      await expectFollowingNewest(bob.page, later[2]);
      await expect(newMessagesButton(bob.page)).toHaveCount(0);
      const next = uniqueText('After the jump');
      await sendMessage(alice.page, next);
      await expectMessage(bob.page, { author: 'Alice', text: next });
      await expectFollowingNewest(bob.page, next);
    });

    await test.step('scrolling back down by hand follows again without the button', async () => {
      await messageScroll(bob.page).evaluate((el) => {
        el.scrollTop = 0;
      });
      await expect(messageScroll(bob.page)).toHaveAttribute('data-following', 'false');
      await messageScroll(bob.page).evaluate((el) => {
        el.scrollTop = el.scrollHeight;
      });
      await expect(messageScroll(bob.page)).toHaveAttribute('data-following', 'true');
      await expect(newMessagesButton(bob.page)).toHaveCount(0);
    });

    await test.step('sending while scrolled up jumps to your own message', async () => {
      await messageScroll(alice.page).evaluate((el) => {
        el.scrollTop = 0;
      });
      await expect(messageScroll(alice.page)).toHaveAttribute('data-following', 'false');
      const mine = uniqueText('Mine');
      await sendMessage(alice.page, mine);
      await expectMessage(alice.page, { author: 'Alice', text: mine });
      await expectFollowingNewest(alice.page, mine);
    });
  });
});
