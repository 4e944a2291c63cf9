/**
 * Accessibility audit (issue 14, R6): axe-core (`@axe-core/playwright`)
 * runs the WCAG 2.1 A/AA rules on the workspace (desktop, phone, dark,
 * with a message and a running job on screen) and on the admin page; no
 * serious or critical violation is allowed. Colour contrast is among the
 * rules, so this is also the check of both palettes.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, test } from '@playwright/test';
import {
  type Guest,
  joinAs,
  leave,
  sendMessage,
  startJob,
  uniqueRoom,
  uniqueText,
} from './support/actions';
import { expectConnected, expectMessage } from './support/checks';
import { mintToken } from './support/tokens';

const WCAG = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** The serious and critical violations on `page`, one line per element. */
async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).withTags(WCAG).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')}`));
}

const VIEWS = [
  ['desktop', { viewport: { width: 1280, height: 800 } }],
  ['phone', { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true }],
  ['dark', { viewport: { width: 1280, height: 800 }, colorScheme: 'dark' }],
] as const;

test.describe('accessibility audit', () => {
  let guests: Guest[] = [];

  test.afterEach(async () => {
    await leave(...guests);
    guests = [];
  });

  for (const [label, contextOptions] of VIEWS) {
    test(`the workspace (${label}) has no serious or critical violations`, async ({ browser }) => {
      const guest = await joinAs(browser, { room: uniqueRoom('a11y'), name: 'Ada', contextOptions });
      guests.push(guest);
      const text = uniqueText('Audited');
      await sendMessage(guest.page, text);
      await expectMessage(guest.page, { author: 'Ada', text });
      await startJob(guest.page);
      expect(await seriousViolations(guest.page)).toEqual([]);
    });
  }

  test('the admin page has no serious or critical violations', async ({ page }) => {
    const token = mintToken({ sub: 'a11y-admin', name: 'Audit admin', admin: true });
    await page.goto(`/admin?${new URLSearchParams({ token })}`);
    await expectConnected(page, { timeout: 20_000 });
    await expect(page.getByTestId('admin-connections-value')).toHaveText(/^\d+$/);
    expect(await seriousViolations(page)).toEqual([]);
  });
});
