/**
 * Keyboard only (issue 14, R6): name, message, ask, start and cancel a job,
 * open the connection details and press "Retry now", without a mouse; every
 * control reached shows a visible focus ring.
 */
import { expect, type Locator, type Page, test } from '@playwright/test';
import { joinAs, leave, uniqueRoom, uniqueText } from './support/actions';
import { expectConnected, expectMessage, expectNotConnected } from './support/checks';

/** Press Tab until `target` has focus (at most `limit` times), checking each stop's focus ring. */
async function tabTo(page: Page, target: Locator, limit = 40): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return 'none';
      const style = getComputedStyle(el);
      return el.matches(':focus-visible') && style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0
        ? 'visible'
        : `${el.tagName}.${el.className}: ${style.outlineStyle} ${style.outlineWidth}`;
    });
    // 'none': Tab went past the page's last control (focus wraps via the browser).
    if (ring === 'none') continue;
    expect(ring, 'the focused control shows a focus ring').toBe('visible');
    if (await target.evaluate((el) => el === document.activeElement)) return;
  }
  throw new Error(`Tab never reached ${target}`);
}

test('everything works from the keyboard, with the focus visible', async ({ browser }) => {
  const guest = await joinAs(browser, { room: uniqueRoom('keys'), name: 'Kim' });
  const page = guest.page;
  try {
    await page.locator('body').focus();
    await tabTo(page, page.getByTestId('name-input'));
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type('Keys');
    await page.keyboard.press('Enter');
    await expectConnected(page);

    const text = uniqueText('Typed');
    await tabTo(page, page.getByTestId('message-input'));
    await page.keyboard.type(text);
    await page.keyboard.press('Enter');
    await expectMessage(page, { author: 'Keys', text });

    await tabTo(page, page.getByTestId('prompt-input'));
    await page.keyboard.type('keyboard?');
    await tabTo(page, page.getByTestId('prompt-send'));
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('stream-status')).toHaveAttribute('data-state', /streaming|completed/);

    await tabTo(page, page.getByTestId('start-job'));
    await page.keyboard.press('Enter');
    const op = page.getByTestId('operation').first();
    await expect(op).toHaveAttribute('data-state', 'running');
    await tabTo(page, op.getByTestId('op-cancel'));
    await page.keyboard.press('Enter');
    await expect(op).toHaveAttribute('data-state', 'cancelled');

    await guest.context.setOffline(true);
    await expectNotConnected(page);
    await tabTo(page, page.getByTestId('conn-details').locator('summary'));
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('conn-details')).toHaveAttribute('open', '');
    await expect(page.getByTestId('retry-now')).toBeEnabled();
    const before = Number(await page.getByTestId('conn-attempt').textContent());
    await tabTo(page, page.getByTestId('retry-now'));
    await page.keyboard.press('Enter');
    await expect.poll(async () => Number(await page.getByTestId('conn-attempt').textContent())).toBeGreaterThan(before);
    await guest.context.setOffline(false);
    await expectConnected(page);
  } finally {
    await leave(guest);
  }
});
