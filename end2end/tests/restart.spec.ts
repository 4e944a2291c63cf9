/**
 * Server restart: this spec runs its OWN Tidings process on port 3901 (not
 * Playwright's webServer), kills it with SIGKILL while two guests are
 * connected, and starts it again on the same port.
 */
import { test } from '@playwright/test';
import {
  type Guest,
  joinAs,
  leave,
  sendMessage,
  TidingsServer,
  uniqueRoom,
  uniqueText,
} from './support/actions';
import { expectBadge, expectConnected, expectMessage, expectPresence } from './support/checks';

const PORT = 3901;
const SERVER_ARGS = ['--heartbeat-interval-ms', '2000'];

test.describe('server restart', () => {
  const servers: TidingsServer[] = [];
  let guests: Guest[] = [];

  test.afterEach(async ({}, testInfo) => {
    await leave(...guests);
    guests = [];
    for (const server of servers) {
      await server.kill();
      if (testInfo.status !== testInfo.expectedStatus) {
        server.dumpLog();
        await testInfo.attach(`${server.label}.log`, {
          body: server.output(),
          contentType: 'text/plain',
        });
      }
    }
  });

  test.afterAll(async () => {
    // Belt and braces: never leave a server behind, even if afterEach failed.
    await Promise.all(servers.map((server) => server.kill().catch(() => {})));
  });

  async function startServer(label: string): Promise<TidingsServer> {
    const server = await TidingsServer.start({ port: PORT, args: SERVER_ARGS, label });
    servers.push(server);
    return server;
  }

  test('a message sent while the server is down is delivered after it restarts', async ({
    browser,
  }) => {
    test.setTimeout(120_000);
    const room = uniqueRoom('restart');

    const first = await startServer('server#1');
    const alice = await joinAs(browser, { room, name: 'Alice', origin: first.origin });
    guests.push(alice);
    const bob = await joinAs(browser, { room, name: 'Bob', origin: first.origin });
    guests.push(bob);
    await expectPresence(alice.page, ['Alice', 'Bob']);
    await expectPresence(bob.page, ['Alice', 'Bob']);

    await test.step('the room works before the crash', async () => {
      const before = uniqueText('Before the crash');
      await sendMessage(alice.page, before);
      await expectMessage(bob.page, { author: 'Alice', text: before });
    });

    await test.step('SIGKILL the server → both show Reconnecting', async () => {
      await first.kill('SIGKILL');
      await expectBadge(alice.page, 'reconnecting');
      await expectBadge(bob.page, 'reconnecting');
    });

    const queued = uniqueText('Sent while the server was down');
    await test.step('Alice sends a message while disconnected (queued in her outbox)', async () => {
      await sendMessage(alice.page, queued);
    });

    // Hold Alice's reconnect back until Bob is in the new server's room, so
    // Bob is there to receive the flushed message live (the restarted server
    // has no history). Her outbox survives; going online reconnects at once.
    await alice.context.setOffline(true);

    const second = await startServer('server#2');

    await test.step('Bob reconnects to the restarted server by himself', async () => {
      await expectConnected(bob.page, { timeout: 30_000 });
      await expectPresence(bob.page, ['Bob']);
    });

    await test.step('Alice reconnects and her queued message is delivered', async () => {
      await alice.context.setOffline(false);
      await expectConnected(alice.page, { timeout: 10_000 });
      await expectPresence(bob.page, ['Alice', 'Bob']);
      await expectMessage(bob.page, { author: 'Alice', text: queued });
      await expectMessage(alice.page, { author: 'Alice', text: queued });
    });

    await second.kill();
  });
});
