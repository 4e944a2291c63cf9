/**
 * Nothing lost, nothing doubled, in a real browser: a guest who was offline
 * gets every missed message once and in order; a message sent while offline
 * shows as pending, then delivered; a server restart in the middle of a
 * stream ends with the complete answer and a visible notice that the room's
 * history was lost.
 */
import { expect, test } from '@playwright/test';
import {
  type Guest,
  joinAs,
  leave,
  sendMessage,
  sendPrompt,
  TidingsServer,
  uniqueRoom,
  uniqueText,
} from './support/actions';
import { expectConnected, expectMessage, expectNotConnected, expectStreamState } from './support/checks';
import { messagesWithText, readMessageTexts, readStreamText, readStreamWordCount } from './support/finders';

let guests: Guest[] = [];
test.afterEach(async () => {
  await leave(...guests);
  guests = [];
});

async function meet(browser: import('@playwright/test').Browser, room: string, ...names: string[]) {
  const joined: Guest[] = [];
  for (const name of names) {
    const guest = await joinAs(browser, { room, name });
    joined.push(guest);
    guests.push(guest);
  }
  return joined;
}

test('a guest offline for 10 s gets all 50 missed messages once, in order', async ({ browser }) => {
  test.setTimeout(90_000);
  const room = uniqueRoom('away');
  const [alice, bob] = await meet(browser, room, 'Alice', 'Bob');
  const tag = uniqueText('missed');
  const texts = Array.from({ length: 50 }, (_, i) => `${tag} ${String(i).padStart(2, '0')}`);

  await bob.context.setOffline(true);
  const offlineAt = Date.now();
  await expectNotConnected(bob.page);
  for (const text of texts) {
    await sendMessage(alice.page, text);
  }
  await expect
    .poll(async () => (await readMessageTexts(alice.page)).filter((t) => t.startsWith(tag)).length)
    .toBe(50);
  // Bob stays away for 10 s in all (the point of the test, not a guess).
  await bob.page.waitForTimeout(Math.max(0, 10_000 - (Date.now() - offlineAt)));
  expect((await readMessageTexts(bob.page)).filter((t) => t.startsWith(tag))).toEqual([]);

  await bob.context.setOffline(false);
  await expectConnected(bob.page, { timeout: 5_000 });
  await expect
    .poll(async () => (await readMessageTexts(bob.page)).filter((t) => t.startsWith(tag)), {
      message: 'Bob lists the 50 missed messages once each, in order',
    })
    .toEqual(texts);
});

test('a message sent while offline shows as pending, then as delivered', async ({ browser }) => {
  const room = uniqueRoom('pending');
  const [alice, bob] = await meet(browser, room, 'Alice', 'Bob');
  const text = uniqueText('Written offline');

  await alice.context.setOffline(true);
  await expectNotConnected(alice.page);
  await sendMessage(alice.page, text);
  const mine = messagesWithText(alice.page, text);
  await expect(mine).toHaveCount(1);
  await expect(mine).toHaveAttribute('data-status', 'pending');
  await expect(messagesWithText(bob.page, text)).toHaveCount(0);

  await alice.context.setOffline(false);
  await expect(mine).toHaveAttribute('data-status', 'delivered', { timeout: 10_000 });
  await expect(mine).toHaveCount(1);
  await expectMessage(bob.page, { author: 'Alice', text });
});

test.describe('server restart in the middle of a stream', () => {
  const PORT = 3902;
  const servers: TidingsServer[] = [];

  test.afterEach(async ({}, testInfo) => {
    for (const server of servers.splice(0)) {
      await server.kill();
      if (testInfo.status !== testInfo.expectedStatus) server.dumpLog();
    }
  });

  test('the answer ends complete with nothing repeated, and the lost history is announced', async ({
    browser,
  }) => {
    test.setTimeout(120_000);
    const start = async (label: string) => {
      const server = await TidingsServer.start({ port: PORT, label });
      servers.push(server);
      return server;
    };
    const origin = `http://127.0.0.1:${PORT}`;
    const prompt = `Explain resume ${Math.random().toString(36).slice(2, 6)}`;

    const first = await start('server#1');
    // The same prompt, streamed without interruption in another room: the
    // demo answer is deterministic, so this is the text to end up with.
    const reference = await joinAs(browser, { room: uniqueRoom('ref'), name: 'Ref', origin });
    guests.push(reference);
    await sendPrompt(reference.page, prompt);
    await expectStreamState(reference.page, 'completed', { timeout: 60_000 });
    const full = await readStreamText(reference.page);

    const room = uniqueRoom('crash');
    const alice = await joinAs(browser, { room, name: 'Alice', origin });
    guests.push(alice);
    const before = uniqueText('Before the crash');
    await sendMessage(alice.page, before);
    await expectMessage(alice.page, { author: 'Alice', text: before });
    await sendPrompt(alice.page, prompt);
    await expect.poll(() => readStreamWordCount(alice.page)).toBeGreaterThan(25);

    await first.kill('SIGKILL');
    await expectNotConnected(alice.page);
    await start('server#2');
    await expectConnected(alice.page, { timeout: 30_000 });

    const notice = alice.page.getByTestId('gap-notice');
    await expect(notice, 'the lost history is announced').toBeVisible({ timeout: 10_000 });
    await expect(notice).toHaveAttribute('data-reason', 'epoch_changed');
    // The room was refetched from the new server: its history starts over.
    await expect(messagesWithText(alice.page, before)).toHaveCount(0);

    await expectStreamState(alice.page, 'completed', { timeout: 60_000 });
    const text = await readStreamText(alice.page);
    expect(text, 'complete answer, no repeated or missing words').toBe(full);

    const after = uniqueText('After the restart');
    await sendMessage(alice.page, after);
    await expectMessage(alice.page, { author: 'Alice', text: after });
  });
});
