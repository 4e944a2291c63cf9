/**
 * The admin page: with an admin token it shows live connections, the
 * topics table and the operations table, fed every second over Tidings
 * itself; a token without the admin claim (or no token) is refused. Also
 * takes the README screenshot docs/admin.png.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { expect, type Page, test } from '@playwright/test';
import {
  type Guest,
  joinAs,
  leave,
  sendMessage,
  sendPrompt,
  startJob,
  uniqueRoom,
  uniqueText,
} from './support/actions';
import { expectConnected } from './support/checks';
import { mintToken } from './support/tokens';

const SCREENSHOT = path.resolve(__dirname, '../../docs/admin.png');

const connectionsValue = (page: Page) => page.getByTestId('admin-connections-value');
const topicRow = (page: Page, topic: string) =>
  page.locator(`[data-testid="admin-topic"][data-topic="${topic}"]`);
const jobRow = (page: Page, id: string) =>
  page.locator(`[data-testid="admin-job"][data-id="${id}"]`);

async function readConnections(page: Page): Promise<number> {
  return Number(((await connectionsValue(page).textContent()) ?? '').trim());
}

async function openAdmin(page: Page, token: string): Promise<void> {
  await page.goto(`/admin?${new URLSearchParams({ token })}`);
  await expectConnected(page, { timeout: 20_000 });
}

test.describe('admin page', () => {
  let guests: Guest[] = [];

  test.afterEach(async () => {
    await leave(...guests);
    guests = [];
  });

  test('an admin sees connections, topics and operations update live', async ({ page, browser }) => {
    await openAdmin(page, mintToken({ sub: 'root', name: 'Root', admin: true }));
    await expect(connectionsValue(page), 'a first sample arrived').toHaveText(/^\d+$/);
    await expect(page.getByTestId('admin-refused')).toHaveCount(0);
    const before = await readConnections(page);

    const room = uniqueRoom('admin');
    const gina = await joinAs(browser, { room, name: 'Gina' });
    guests.push(gina);
    await expect
      .poll(() => readConnections(page), { message: 'the new connection is counted' })
      .toBeGreaterThanOrEqual(before + 1);

    const row = topicRow(page, `room:${room}`);
    await expect(row.getByTestId('admin-topic-subscribers')).toHaveText('1');
    await expect(row.getByTestId('admin-topic-seq')).toHaveText('0');
    await sendMessage(gina.page, uniqueText('Hello admins'));
    await expect(row.getByTestId('admin-topic-seq'), 'the message is counted').toHaveText('1');

    const { id } = await startJob(gina.page);
    await expect(jobRow(page, id)).toHaveAttribute('data-state', 'running');
    await expect(jobRow(page, id)).toHaveAttribute('data-state', 'completed', { timeout: 15_000 });
    await expect(jobRow(page, id)).toContainText('100%');

    await expect(page.getByTestId('admin-connections').locator('polyline')).toHaveAttribute(
      'points',
      /\d/,
    );

    await leave(gina);
    await expect
      .poll(() => readConnections(page), { message: 'the closed connection is gone' })
      .toBeLessThanOrEqual(before);
  });

  test('a token without the admin claim is refused, and so is no token', async ({ browser }) => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await openAdmin(page, mintToken({ sub: 'pat', name: 'Pat' }));
      await expect(page.getByTestId('admin-refused')).toContainText('Forbidden');
      await expect(page.getByTestId('admin-topic')).toHaveCount(0);
    } finally {
      await context.close();
    }
    const fresh = await browser.newContext();
    try {
      const page = await fresh.newPage();
      await page.goto('/admin');
      await expect(page.getByTestId('admin-refused')).toContainText('admin token is required');
    } finally {
      await fresh.close();
    }
  });

  test('admin screenshot for the docs', async ({ page, browser }) => {
    test.setTimeout(90_000);
    await page.setViewportSize({ width: 1280, height: 900 });
    await openAdmin(page, mintToken({ sub: 'root', name: 'Root', admin: true }));
    const room = 'demo-admin';
    const people = ['Alice', 'Bob', 'Carol', 'Dan'];
    for (const [i, name] of people.entries()) {
      const guest = await joinAs(browser, { room: i < 2 ? room : `${room}-${i}`, name });
      guests.push(guest);
      for (let n = 0; n <= i; n += 1) await sendMessage(guest.page, `${name} says hello (${n + 1})`);
      await page.waitForTimeout(1_500); // let the charts draw a rising line
    }
    await startJob(guests[0].page);
    await sendPrompt(guests[1].page, 'What does the admin page show?');
    await expect(page.getByTestId('admin-job')).not.toHaveCount(0);
    await expect(topicRow(page, `room:${room}`).getByTestId('admin-topic-subscribers')).toHaveText('2');
    await page.waitForTimeout(1_500);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    const { size } = statSync(SCREENSHOT);
    expect(size, 'screenshot is a real picture').toBeGreaterThan(10 * 1024);
  });
});
