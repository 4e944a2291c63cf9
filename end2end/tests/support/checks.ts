/**
 * Checks: assertions about what a user sees. All of them wait on a condition
 * (web-first `expect` matchers or `expect.poll`); none of them sleeps.
 */
import { expect, type Locator, type Page } from '@playwright/test';
import {
  assistantTyping,
  badge,
  type ConnState,
  messageScroll,
  messagesWithText,
  opCancelButton,
  opPercent,
  type OperationState,
  progressBar,
  readMessageScrollGap,
  readOverflow,
  readPresenceNames,
  readProgress,
  streamStatus,
  streamStopButton,
  type StreamState,
  typingIndicator,
} from './finders';

interface Timeout {
  timeout?: number;
}

/** Badge text for each connection state (idle has no defined text). */
const BADGE_TEXT: Record<Exclude<ConnState, 'idle'>, string> = {
  connecting: 'Connecting',
  connected: 'Connected',
  reconnecting: 'Reconnecting',
  offline: 'Offline',
};

/** The badge shows `state`: both its `data-state` and its exact text. */
export async function expectBadge(
  page: Page,
  state: Exclude<ConnState, 'idle'>,
  { timeout }: Timeout = {},
): Promise<void> {
  await expect(badge(page), `connection badge is ${state}`).toHaveAttribute('data-state', state, {
    timeout,
  });
  await expect(badge(page)).toHaveText(BADGE_TEXT[state], { timeout });
}

export async function expectConnected(page: Page, options: Timeout = {}): Promise<void> {
  await expectBadge(page, 'connected', options);
}

/** The badge has left Connected (any other state, e.g. reconnecting or offline). */
export async function expectNotConnected(page: Page, { timeout }: Timeout = {}): Promise<void> {
  await expect(badge(page), 'connection badge leaves Connected').not.toHaveAttribute(
    'data-state',
    'connected',
    { timeout },
  );
}

/** The presence list holds exactly these display names (any order). */
export async function expectPresence(
  page: Page,
  names: string[],
  { timeout }: Timeout = {},
): Promise<void> {
  await expect
    .poll(() => readPresenceNames(page), {
      message: `presence list shows exactly ${names.join(', ')}`,
      timeout,
    })
    .toEqual([...names].sort());
}

/** Exactly one message with this text is listed, and its author is `author`. */
export async function expectMessage(
  page: Page,
  { author, text }: { author: string; text: string },
  { timeout }: Timeout = {},
): Promise<void> {
  const message = messagesWithText(page, text);
  await expect(message, `message "${text}" is listed once`).toHaveCount(1, { timeout });
  await expect(message.getByTestId('message-author')).toHaveText(author);
}

/** The message list is scrolled to its newest message and follows new ones. */
export async function expectFollowingNewest(
  page: Page,
  newestText: string,
  { timeout }: Timeout = {},
): Promise<void> {
  await expect(messageScroll(page), 'the message list follows').toHaveAttribute(
    'data-following',
    'true',
    { timeout },
  );
  await expect
    .poll(() => readMessageScrollGap(page), {
      message: 'the message list is scrolled to the bottom',
      timeout,
    })
    .toBeLessThan(2);
  await expect(messagesWithText(page, newestText), 'the newest message is on screen').toBeInViewport(
    { timeout },
  );
}

/** `locator`'s text wraps inside its own box and inside the page's width. */
export async function expectWrapsInside(locator: Locator, what: string): Promise<void> {
  await expect
    .poll(() => readOverflow(locator), { message: `${what} wraps inside its box and the page` })
    .toEqual({ ownBox: 0, pageEdge: 0 });
}

/** The typing indicator reads exactly `text` ('' when nobody else types). */
export async function expectTypingIndicator(
  page: Page,
  text: string | RegExp,
  { timeout }: Timeout = {},
): Promise<void> {
  await expect(typingIndicator(page), `typing indicator reads "${text}"`).toHaveText(text, {
    timeout,
  });
}

export async function expectNobodyTyping(page: Page, options: Timeout = {}): Promise<void> {
  await expectTypingIndicator(page, '', options);
}

export async function expectStreamState(
  page: Page,
  state: StreamState,
  { timeout }: Timeout = {},
): Promise<void> {
  await expect(streamStatus(page), `assistant stream is ${state}`).toHaveAttribute(
    'data-state',
    state,
    { timeout },
  );
}

/** While streaming: typing notice shown, stop button usable. */
export async function expectAssistantBusy(page: Page): Promise<void> {
  await expect(assistantTyping(page)).toHaveText('Assistant is typing');
  await expect(streamStopButton(page)).toBeVisible();
  await expect(streamStopButton(page)).toBeEnabled();
}

/** After a stream ended: no typing notice, no stop button. */
export async function expectAssistantIdle(page: Page): Promise<void> {
  await expect(assistantTyping(page)).toHaveText('');
  await expect(streamStopButton(page)).toBeHidden();
}

export async function expectOperationState(
  operation: Locator,
  state: OperationState,
  { timeout }: Timeout = {},
): Promise<void> {
  await expect(operation, `operation is ${state}`).toHaveAttribute('data-state', state, {
    timeout,
  });
}

/**
 * The operation's progress rises step by step to 100 and it completes.
 * Returns every aria-valuenow sampled on the way (for diagnostics).
 */
export async function expectProgressRisesToCompletion(
  operation: Locator,
  { timeout = 20_000 }: Timeout = {},
): Promise<number[]> {
  const samples: number[] = [];
  await expect
    .poll(
      async () => {
        const value = await readProgress(operation);
        samples.push(value);
        return value;
      },
      { message: 'progress reaches 100', timeout, intervals: [100] },
    )
    .toBe(100);

  expect(samples.every(Number.isInteger), `aria-valuenow is always an integer: ${samples}`).toBe(
    true,
  );
  expect(
    samples.every((value, i) => i === 0 || value >= samples[i - 1]),
    `progress never goes back: ${samples}`,
  ).toBe(true);
  const inBetween = new Set(samples.filter((value) => value > 0 && value < 100));
  expect(inBetween.size, `progress was seen between 0 and 100: ${samples}`).toBeGreaterThan(0);

  await expectOperationState(operation, 'completed');
  await expect(progressBar(operation)).toHaveAttribute('aria-valuenow', '100');
  await expect(opPercent(operation)).toHaveText('100%');
  await expect(opCancelButton(operation)).toBeHidden();
  return samples;
}

/** The percent label agrees with the progressbar's aria-valuenow. */
export async function expectPercentMatchesProgress(operation: Locator): Promise<void> {
  const value = await readProgress(operation);
  await expect(opPercent(operation)).toHaveText(`${value}%`);
}

/** Connected over the SSE fallback: badge "Connected (fallback)", transport `sse`. */
export async function expectFallbackConnected(page: Page, { timeout }: Timeout = {}): Promise<void> {
  await expect(badge(page), 'connection badge is connected').toHaveAttribute(
    'data-state',
    'connected',
    { timeout },
  );
  await expect(badge(page)).toHaveAttribute('data-transport', 'sse', { timeout });
  await expect(badge(page)).toHaveText('Connected (fallback)', { timeout });
}
