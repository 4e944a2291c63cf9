import { expect, test } from '@playwright/test';
import {
  cancelOperation,
  openWorkspace,
  startJob,
  uniqueRoom,
  workspaceUrl,
} from './support/actions';
import {
  expectConnected,
  expectOperationState,
  expectPercentMatchesProgress,
  expectProgressRisesToCompletion,
} from './support/checks';
import {
  opCancelButton,
  operationById,
  operations,
  progressBar,
  readProgress,
  startJobButton,
  toasts,
} from './support/finders';

/** Demo job duration: `--demo-job-ms 4000` in playwright.config.ts. */
const DEMO_JOB_MS = 4_000;

test.describe('operations', () => {
  test('a job runs with rising progress to completion', async ({ context }) => {
    const page = await openWorkspace(context, { room: uniqueRoom('ops'), name: 'Alice' });

    const { operation } = await startJob(page);
    await expectOperationState(operation, 'running');
    await expect(opCancelButton(operation)).toBeVisible();
    await expect(progressBar(operation)).toHaveAttribute('aria-valuenow', /^\d+$/);

    const samples = await expectProgressRisesToCompletion(operation);
    console.log(`progress samples: ${samples.join(' ')}`);
  });

  test('a running job can be cancelled and its progress stops', async ({ context }) => {
    const page = await openWorkspace(context, { room: uniqueRoom('ops-cancel'), name: 'Alice' });

    const first = await startJob(page);
    const second = await startJob(page);
    const secondStartedAt = Date.now();

    await test.step('newest operation is listed first', async () => {
      await expect(operations(page).first()).toHaveAttribute('data-operation-id', second.id);
    });

    await test.step('cancel the newest one', async () => {
      await expectOperationState(second.operation, 'running');
      await cancelOperation(second.operation);
      await expectOperationState(second.operation, 'cancelled');
      await expect(opCancelButton(second.operation)).toBeHidden();
    });

    const stoppedAt = await readProgress(second.operation);
    expect(stoppedAt, 'a cancelled job stops short of 100').toBeLessThan(100);

    await test.step('progress stays put past the time the job would have finished', async () => {
      // Fixed wait on purpose: outlive the job's natural end, then compare.
      await page.waitForTimeout(Math.max(0, secondStartedAt + DEMO_JOB_MS + 1_000 - Date.now()));
      expect(await readProgress(second.operation)).toBe(stoppedAt);
      await expectOperationState(second.operation, 'cancelled');
      await expectPercentMatchesProgress(second.operation);
    });

    await test.step('the other job was not affected', async () => {
      await expectOperationState(first.operation, 'completed');
      await expect(progressBar(first.operation)).toHaveAttribute('aria-valuenow', '100');
    });
  });

  test('one person runs at most three jobs at once; a fourth is refused with a toast', async ({
    context,
  }) => {
    const page = await openWorkspace(context, { room: uniqueRoom('ops-cap'), name: 'Alice' });
    // Four clicks in a row, well within the 4 s the first job runs: the
    // server takes three (`--max-jobs-per-user` 3) and refuses the fourth.
    for (let i = 0; i < 4; i++) {
      await startJobButton(page).click();
    }
    await expect(toasts(page).filter({ hasText: 'Too many jobs running' })).toHaveCount(1);
    await expect(operations(page)).toHaveCount(3);
  });

  test('a late joiner sees the running job', async ({ context, browser }) => {
    const room = uniqueRoom('ops-late');
    const alicePage = await openWorkspace(context, { room, name: 'Alice' });

    // Bob's browser loads the app once in another room first, so that joining
    // Alice's room later (cached bundle) takes well under the job's 4 s.
    const bobContext = await browser.newContext();
    try {
      const bobPage = await openWorkspace(bobContext, { room: `${room}-lobby`, name: 'Bob' });

      const { id, operation } = await startJob(alicePage);
      await expectOperationState(operation, 'running');

      await bobPage.goto(workspaceUrl({ room, name: 'Bob' }));
      await expectConnected(bobPage);
      const bobsView = operationById(bobPage, id);
      await expect(bobsView, 'late joiner gets the current operations').toHaveCount(1);
      await expectOperationState(bobsView, 'running');

      await test.step('the late joiner then follows it to the end', async () => {
        await expectOperationState(bobsView, 'completed');
        await expect(progressBar(bobsView)).toHaveAttribute('aria-valuenow', '100');
      });
    } finally {
      await bobContext.close();
    }
  });
});
