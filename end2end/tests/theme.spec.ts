/**
 * Dark mode (issue 14, R4): the page follows `prefers-color-scheme`; the
 * "Dark mode" toggle overrides it and is remembered across reloads, with
 * the remembered theme applied before the first paint.
 */
import { expect, type Page, test } from '@playwright/test';
import { type Guest, joinAs, leave, uniqueRoom } from './support/actions';
import { expectConnected } from './support/checks';
import { readBackgroundLuminance } from './support/finders';

const themeToggle = (page: Page) => page.getByTestId('theme-toggle');

async function expectDark(page: Page, dark: boolean): Promise<void> {
  await expect(themeToggle(page)).toHaveAttribute('aria-pressed', String(dark));
  await expect
    .poll(() => readBackgroundLuminance(page), { message: dark ? 'a dark page' : 'a light page' })
    [dark ? 'toBeLessThan' : 'toBeGreaterThan'](0.5);
}

test.describe('dark mode', () => {
  let guests: Guest[] = [];

  test.afterEach(async () => {
    await leave(...guests);
    guests = [];
  });

  test('follows the system: dark when the system is dark', async ({ browser }) => {
    const guest = await joinAs(browser, {
      room: uniqueRoom('theme'),
      name: 'Dana',
      contextOptions: { colorScheme: 'dark' },
    });
    guests.push(guest);
    await expectDark(guest.page, true);
  });

  test('the toggle overrides the system and is remembered', async ({ browser }) => {
    const room = uniqueRoom('theme');
    const guest = await joinAs(browser, { room, name: 'Lee', contextOptions: { colorScheme: 'light' } });
    guests.push(guest);
    const page = guest.page;
    await expectDark(page, false);

    await themeToggle(page).click();
    await expectDark(page, true);
    expect(await page.evaluate(() => localStorage.getItem('tidings.theme'))).toBe('dark');

    await page.reload({ waitUntil: 'commit' });
    await page.waitForLoadState('domcontentloaded');
    expect(
      await page.evaluate(() => document.documentElement.dataset.theme),
      'applied before the app hydrates',
    ).toBe('dark');
    await expectConnected(page, { timeout: 20_000 });
    await expectDark(page, true);

    await page.emulateMedia({ colorScheme: 'dark' });
    await themeToggle(page).click();
    await expectDark(page, false);
    await page.goto('/admin');
    await expectDark(page, false);
  });
});
