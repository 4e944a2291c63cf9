/**
 * A man in the middle for a context's WebSockets (Playwright's
 * `routeWebSocket`): every frame is passed through, except the `ack`s a
 * chosen server sends for the `publish` of one chosen text. The page then
 * sees its message delivered (the echo comes) but never acknowledged, so
 * its outbox keeps it and re-sends it after a reconnect — the case where a
 * node dies after applying a publish and before its ack reached the client.
 */
import type { BrowserContext } from '@playwright/test';

export interface AckDropper {
  /** Ids of the `publish` frames carrying the text (a re-send keeps its id). */
  readonly publishIds: Set<string>;
  /** How many of their acks were dropped. */
  readonly dropped: () => number;
}

/** Installs the proxy on `context`; affects sockets opened after this call. */
export async function dropAcksOfText(
  context: BrowserContext,
  { text, fromOrigin }: { text: string; fromOrigin: string },
): Promise<AckDropper> {
  const publishIds = new Set<string>();
  let dropped = 0;
  const host = new URL(fromOrigin).host;
  const parse = (message: string | Buffer): Record<string, any> | undefined => {
    if (typeof message !== 'string') return undefined;
    try {
      return JSON.parse(message);
    } catch {
      return undefined;
    }
  };
  await context.routeWebSocket(/\/ws(\?|$)/, (ws) => {
    const server = ws.connectToServer();
    const fromChosen = new URL(ws.url()).host === host;
    ws.onMessage((message) => {
      const frame = parse(message);
      if (frame?.type === 'publish' && frame.payload?.data?.text === text) {
        publishIds.add(frame.id);
      }
      server.send(message);
    });
    server.onMessage((message) => {
      const frame = parse(message);
      if (fromChosen && frame?.type === 'ack' && publishIds.has(frame.ref)) {
        dropped += 1;
        return;
      }
      ws.send(message);
    });
  });
  return { publishIds, dropped: () => dropped };
}
