import { expect, test } from '@playwright/test';
import { openWorkspace, sendPrompt, stopStream, uniqueRoom } from './support/actions';
import {
  expectAssistantBusy,
  expectAssistantIdle,
  expectStreamState,
} from './support/checks';
import { readStreamText, readStreamWordCount, wordCount } from './support/finders';

test.describe('assistant stream', () => {
  test('the answer streams in word by word until completed', async ({ context }) => {
    // ~300+ words at ~30 tokens/s: allow well over the nominal 10–20 s.
    test.setTimeout(120_000);
    const page = await openWorkspace(context, { room: uniqueRoom('assistant'), name: 'Alice' });

    await sendPrompt(page, 'Summarise what happened in this room today.');
    await expectStreamState(page, 'streaming');
    await expectAssistantBusy(page);

    await test.step('the text grows in many small steps, not all at once', async () => {
      const samples: number[] = [];
      await expect
        .poll(
          async () => {
            const words = await readStreamWordCount(page);
            samples.push(words);
            return words;
          },
          { message: 'the answer reaches 60 words', timeout: 30_000, intervals: [150] },
        )
        .toBeGreaterThanOrEqual(60);
      console.log(`word count samples: ${samples.join(' ')}`);

      expect(
        samples.every((words, i) => i === 0 || words >= samples[i - 1]),
        `the text only grows: ${samples}`,
      ).toBe(true);
      const distinctNonEmpty = new Set(samples.filter((words) => words > 0));
      expect(
        distinctNonEmpty.size,
        `the word count rose in more than one step: ${samples}`,
      ).toBeGreaterThanOrEqual(3);
    });

    await test.step('the stream completes with the full answer', async () => {
      await expectStreamState(page, 'completed', { timeout: 90_000 });
      await expectAssistantIdle(page);
      const words = await readStreamWordCount(page);
      console.log(`final answer: ${words} words`);
      expect(words).toBeGreaterThanOrEqual(200);
    });
  });

  test('stop cancels the stream and freezes the partial answer', async ({ context }) => {
    const page = await openWorkspace(context, { room: uniqueRoom('assistant-stop'), name: 'Alice' });

    await sendPrompt(page, 'Write a long status report.');
    await expectStreamState(page, 'streaming');
    await expect
      .poll(() => readStreamWordCount(page), { message: 'some words arrive', intervals: [100] })
      .toBeGreaterThanOrEqual(15);

    await stopStream(page);
    await expectStreamState(page, 'cancelled');
    await expectAssistantIdle(page);

    const frozen = await readStreamText(page);
    expect(wordCount(frozen), 'stopped long before the full answer').toBeLessThan(200);
    // Fixed wait on purpose: nothing may arrive after a stop.
    await page.waitForTimeout(1_500);
    expect(await readStreamText(page)).toBe(frozen);
    await expectStreamState(page, 'cancelled');
  });
});
