import { expect, test } from '@playwright/test';
import { openWorkspace, recordMetric, uniqueRoom } from './support/actions';
import { expectConnected, expectNotConnected } from './support/checks';
import { badge, readAttempt, readConnectedAt, readCountdownMs } from './support/finders';

test('connects, reports load→connected, and reconnects at once when back online', async ({
  context,
}) => {
  const page = await openWorkspace(context, { room: uniqueRoom('conn'), name: 'Alice' });

  await test.step('badge shows Connected and is announced politely', async () => {
    await expectConnected(page);
    await expect(badge(page)).toHaveAttribute('aria-live', 'polite');
  });

  await test.step('the page marks when it connected (load.spec.ts reports the figure)', async () => {
    await page.waitForFunction(() => typeof window.__tidings?.connectedAt === 'number');
    expect(await readConnectedAt(page), 'window.__tidings.connectedAt').toBeGreaterThan(0);
  });

  await test.step('going offline leaves Connected and backs off past 2 s', async () => {
    await context.setOffline(true);
    await expectNotConnected(page);
    await expect(badge(page)).toHaveText(/^(Connecting|Reconnecting|Offline)$/);
    await expect
      .poll(() => readCountdownMs(page), {
        message: 'while offline the page keeps retrying until a wait of more than 2 s is scheduled',
        timeout: 40_000,
        intervals: [100, 250],
      })
      .toBeGreaterThan(2_000);
    expect(await readAttempt(page), 'conn-attempt counts the tries').toBeGreaterThan(0);
  });

  await test.step('coming back online reconnects at once, not after the scheduled wait', async () => {
    const onlineAt = Date.now();
    await context.setOffline(false);
    await expectConnected(page, { timeout: 1_500 });
    recordMetric('online_to_connected_ms', Date.now() - onlineAt);
  });
});
