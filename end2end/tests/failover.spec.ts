/**
 * Failover between two Tidings processes that share one Redis: this spec
 * runs its OWN redis-server and two servers, A and B (not Playwright's
 * webServer). A page served by A is given both URLs (`?servers=A,B`); while
 * a second page, connected to B, publishes into the room without pause and
 * the first page's assistant answer is streaming, A is SIGKILLed. The page
 * must reconnect to B and end with every published message exactly once, in
 * order, and the complete answer. Just before the kill, the page on A sends
 * a message whose ack A never delivers (a proxy drops it): the page re-sends
 * it to B after failing over, B knows the id from Redis and acks it as a
 * duplicate, and every page lists that message exactly once.
 */
import { expect, test, type Browser } from '@playwright/test';
import {
  freePort,
  type Guest,
  joinAs,
  leave,
  openWorkspace,
  RedisProcess,
  sendMessage,
  sendPrompt,
  TidingsServer,
  uniqueRoom,
  uniqueText,
} from './support/actions';
import { expectConnected, expectStreamState } from './support/checks';
import {
  connServer,
  readMessageTexts,
  readStreamText,
  readStreamWordCount,
  toasts,
} from './support/finders';
import { dropAcksOfText } from './support/ws-proxy';

/** Slow enough that the answer (~330 words) streams for ~16 s. */
const TOKENS_PER_SEC = 20;
/** Between two messages of the publisher (ms). */
const PUBLISH_EVERY_MS = 150;

test.describe('failover to another server', () => {
  let redis: RedisProcess | undefined;
  const servers: TidingsServer[] = [];
  let guests: Guest[] = [];

  test.afterAll(async () => {
    await leave(...guests);
    guests = [];
    await Promise.all(servers.map((server) => server.kill().catch(() => {})));
    await redis?.kill();
  });

  test.afterEach(async ({}, testInfo) => {
    if (testInfo.status !== testInfo.expectedStatus) {
      for (const server of servers) {
        server.dumpLog();
        await testInfo.attach(`${server.label}.log`, {
          body: server.output(),
          contentType: 'text/plain',
        });
      }
    }
  });

  async function join(browser: Browser, options: Parameters<typeof joinAs>[1]): Promise<Guest> {
    const guest = await joinAs(browser, options);
    guests.push(guest);
    return guest;
  }

  test('A dies mid-stream while B publishes: the page moves to B and loses nothing', async ({
    browser,
  }) => {
    test.setTimeout(240_000);
    redis = await RedisProcess.start();
    const [portA, portB] = [await freePort(), await freePort()];
    const originA = `http://127.0.0.1:${portA}`;
    const originB = `http://127.0.0.1:${portB}`;
    const args = [
      '--redis-url', redis.url,
      '--redis-prefix', `e2e-failover-${Date.now()}`,
      '--redis-node-ttl-ms', '1500',
      '--allowed-origins', `${originA},${originB}`,
      '--assistant-tokens-per-sec', String(TOKENS_PER_SEC),
      '--heartbeat-interval-ms', '2000',
    ];
    const a = await TidingsServer.start({ port: portA, args, label: 'server-A' });
    servers.push(a);
    const b = await TidingsServer.start({ port: portB, args, label: 'server-B' });
    servers.push(b);

    const room = uniqueRoom('failover');
    const unacked = uniqueText('unacked');
    const readerContext = await browser.newContext();
    const proxy = await dropAcksOfText(readerContext, { text: unacked, fromOrigin: originA });
    const reader: Guest = {
      name: 'Reader',
      context: readerContext,
      page: await openWorkspace(readerContext, {
        room,
        name: 'Reader',
        origin: originA,
        servers: [originA, originB],
      }),
    };
    guests.push(reader);
    await expect(connServer(reader.page), 'the first URL is tried first').toHaveText(originA);
    const writer = await join(browser, { room, name: 'Writer', origin: originB });
    // The same prompt streamed on B (which survives) in a room of its own:
    // the demo answer is deterministic, so this is the text to end up with.
    const reference = await join(browser, { room: uniqueRoom('ref'), name: 'Ref', origin: originB });

    // The publisher: one message every PUBLISH_EVERY_MS until told to stop.
    const tag = uniqueText('failover');
    const sent: string[] = [];
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        const text = `${tag} ${String(sent.length).padStart(3, '0')}`;
        await sendMessage(writer.page, text);
        sent.push(text);
        await writer.page.waitForTimeout(PUBLISH_EVERY_MS);
      }
    })();
    const readTagged = async (guest: Guest) =>
      (await readMessageTexts(guest.page)).filter((text) => text.startsWith(tag));

    const prompt = `Explain failover ${Math.random().toString(36).slice(2, 6)}`;
    await sendPrompt(reference.page, prompt);
    await sendPrompt(reader.page, prompt);

    await test.step('the page on A gets B’s messages and the stream is under way', async () => {
      // Preconditions, not speed: a busy machine may take longer.
      await expect
        .poll(async () => (await readTagged(reader)).length, { timeout: 45_000 })
        .toBeGreaterThan(5);
      await expect
        .poll(() => readStreamWordCount(reader.page), { timeout: 45_000 })
        .toBeGreaterThan(15);
      await expectStreamState(reader.page, 'streaming');
    });

    await test.step('the page on A sends a message; A applies it but its ack is lost', async () => {
      await sendMessage(reader.page, unacked);
      await expect
        .poll(() => proxy.dropped(), { message: 'A acked it (dropped)', timeout: 45_000 })
        .toBeGreaterThan(0);
      await expect
        .poll(async () => (await readMessageTexts(writer.page)).filter((t) => t === unacked).length, {
          timeout: 45_000,
        })
        .toBe(1);
    });
    const duplicatesBefore = await duplicatesIgnored(originB);

    let sentAtKill = 0;
    await test.step('SIGKILL A: the page reconnects to B', async () => {
      sentAtKill = sent.length;
      await a.kill('SIGKILL');
      // The retry may come within milliseconds (full jitter), too fast to
      // catch the Reconnecting badge; the server URL and the toast tell.
      await expect(connServer(reader.page), 'now connected to B').toHaveText(originB, {
        timeout: 20_000,
      });
      await expectConnected(reader.page);
      await expect(toasts(reader.page).filter({ hasText: 'Reconnected' })).toHaveCount(1);
    });

    await test.step('B keeps publishing for a while, then stops', async () => {
      await expect.poll(() => sent.length, { timeout: 20_000 }).toBeGreaterThan(sentAtKill + 15);
      publishing = false;
      await publisher;
    });

    await test.step('every published message is listed once, in order', async () => {
      expect(new Set(sent).size, 'the publisher sent distinct texts').toBe(sent.length);
      await expect
        .poll(() => readTagged(writer), { message: 'the writer sees all its messages' })
        .toEqual(sent);
      await expect
        .poll(() => readTagged(reader), {
          message: 'the page that failed over lists every message exactly once, in order',
          timeout: 15_000,
        })
        .toEqual(sent);
    });

    await test.step('the unacked message was re-sent to B and is listed exactly once', async () => {
      await expect
        .poll(() => duplicatesIgnored(originB), {
          message: 'B answered the re-sent publish as a duplicate (the id is shared through Redis)',
          timeout: 20_000,
        })
        .toBeGreaterThan(duplicatesBefore);
      for (const guest of [reader, writer]) {
        const copies = (await readMessageTexts(guest.page)).filter((t) => t === unacked);
        expect(copies, `${guest.name} lists the unacked message once`).toHaveLength(1);
      }
      await expect(toasts(reader.page).filter({ hasText: 'Not delivered' })).toHaveCount(0);
    });

    await test.step('the answer ends complete, nothing repeated or missing', async () => {
      await expectStreamState(reference.page, 'completed', { timeout: 60_000 });
      const full = await readStreamText(reference.page);
      await expectStreamState(reader.page, 'completed', { timeout: 60_000 });
      expect(await readStreamText(reader.page), 'complete answer after the failover').toBe(full);
    });

    await expectConnected(reader.page);
    await expect(connServer(reader.page)).toHaveText(originB);
  });
});

/** `stats.duplicates_ignored` from a server's `/healthz`. */
async function duplicatesIgnored(origin: string): Promise<number> {
  const response = await fetch(`${origin}/healthz`, { signal: AbortSignal.timeout(5_000) });
  const health = (await response.json()) as { stats: { duplicates_ignored: number } };
  return health.stats.duplicates_ignored;
}
