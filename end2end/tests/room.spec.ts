import { type Browser, expect, test } from '@playwright/test';
import {
  clearDraft,
  type Guest,
  joinAs,
  leave,
  sendMessage,
  typeDraft,
  uniqueRoom,
  uniqueText,
} from './support/actions';
import {
  expectMessage,
  expectNobodyTyping,
  expectPresence,
  expectTypingIndicator,
} from './support/checks';
import { readMessageTexts, typingIndicator } from './support/finders';

/** Server-side typing expiry is 5 s; allow scheduling slack on a busy machine. */
const TYPING_EXPIRY_BUDGET_MS = 9_000;

test.describe('room: presence, messages, typing', () => {
  let guests: Guest[] = [];

  test.afterEach(async () => {
    await leave(...guests);
    guests = [];
  });

  async function meet(browser: Browser, ...names: string[]): Promise<Guest[]> {
    const room = uniqueRoom('room');
    for (const name of names) guests.push(await joinAs(browser, { room, name }));
    for (const guest of guests) await expectPresence(guest.page, names);
    return guests;
  }

  test('both guests see each other and exchange messages', async ({ browser }) => {
    const [alice, bob] = await meet(browser, 'Alice', 'Bob');

    await test.step('the name from the URL is remembered', async () => {
      await expect
        .poll(() => alice.page.evaluate(() => localStorage.getItem('tidings.name')))
        .toBe('Alice');
    });

    const hello = uniqueText('Hello from Alice');
    const reply = uniqueText('Hi Alice, Bob here');

    await test.step('Alice sends a message (button)', async () => {
      await sendMessage(alice.page, hello);
      await expectMessage(bob.page, { author: 'Alice', text: hello });
      await expectMessage(alice.page, { author: 'Alice', text: hello });
    });

    await test.step('Bob replies (Enter)', async () => {
      await sendMessage(bob.page, reply, { via: 'enter' });
      await expectMessage(alice.page, { author: 'Bob', text: reply });
      await expectMessage(bob.page, { author: 'Bob', text: reply });
    });

    await test.step('messages are listed oldest first', async () => {
      for (const guest of [alice, bob]) {
        const texts = await readMessageTexts(guest.page);
        expect(texts.indexOf(hello), `${guest.name} lists both messages`).toBeGreaterThanOrEqual(0);
        expect(texts.indexOf(reply)).toBeGreaterThan(texts.indexOf(hello));
      }
    });
  });

  test('typing indicator follows the draft and expires by itself', async ({ browser }) => {
    const [alice, bob] = await meet(browser, 'Alice', 'Bob');

    await test.step('Alice types → Bob sees it, Alice does not see herself', async () => {
      await typeDraft(alice.page, 'Hello Bo');
      await expectTypingIndicator(bob.page, 'Alice is typing');
      await expectNobodyTyping(alice.page);
      await expect(typingIndicator(bob.page)).toHaveAttribute('aria-live', 'polite');
    });

    await test.step('Alice clears the input → the indicator goes away (before any expiry)', async () => {
      await clearDraft(alice.page);
      await expectNobodyTyping(bob.page, { timeout: 3_000 });
    });

    await test.step('Alice types and walks away → the indicator expires', async () => {
      await typeDraft(alice.page, 'Let me think about');
      await expectTypingIndicator(bob.page, 'Alice is typing');
      const shownAt = Date.now();
      await expectNobodyTyping(bob.page, { timeout: TYPING_EXPIRY_BUDGET_MS });
      console.log(`typing indicator expired ${Date.now() - shownAt} ms after it was shown`);
    });
  });

  test('two people typing are named together', async ({ browser }) => {
    const [alice, bob, carol] = await meet(browser, 'Alice', 'Bob', 'Carol');

    await typeDraft(alice.page, 'I think');
    await typeDraft(bob.page, 'Well');
    await expectTypingIndicator(carol.page, /^(Alice and Bob|Bob and Alice) are typing$/);
    await expectTypingIndicator(alice.page, 'Bob is typing');
    await expectTypingIndicator(bob.page, 'Alice is typing');
  });

  test('a guest who leaves disappears from presence', async ({ browser }) => {
    const [alice, bob] = await meet(browser, 'Alice', 'Bob');

    await bob.context.close();
    await expectPresence(alice.page, ['Alice'], { timeout: 15_000 });
  });
});
