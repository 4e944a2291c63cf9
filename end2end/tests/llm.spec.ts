/**
 * The LLM relay in a real browser: this spec runs its OWN Tidings process
 * with `--llm-url` pointing at a small fake OpenAI-compatible server (Node
 * http on a free loopback port, streaming chat-completion chunks as SSE).
 * The assistant panel shows the model's answer as it arrives, and Stop ends
 * the answer and closes the upstream request.
 */
import http from 'node:http';
import { expect, test } from '@playwright/test';
import {
  freePort,
  type Guest,
  joinAs,
  leave,
  sendPrompt,
  stopStream,
  TidingsServer,
  uniqueRoom,
} from './support/actions';
import { expectStreamState } from './support/checks';
import { readStreamText, readStreamWordCount } from './support/finders';

/** A fake chat-completions endpoint: streams `tokens`, one per `gapMs`. */
class FakeModel {
  readonly prompts: string[] = [];
  /** Responses whose client went away before `[DONE]`. */
  closedEarly = 0;

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
  ) {}

  static async start(tokens: string[], gapMs: number): Promise<FakeModel> {
    const port = await freePort();
    const server = http.createServer();
    const model = new FakeModel(server, port);
    server.on('request', (req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        const parsed = JSON.parse(body) as { messages: Array<{ content: string }> };
        model.prompts.push(parsed.messages[0]?.content ?? '');
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        let next = 0;
        let done = false;
        const timer = setInterval(() => {
          if (next < tokens.length) {
            const chunk = { choices: [{ index: 0, delta: { content: tokens[next] } }] };
            res.write(`data: ${JSON.stringify(chunk)}\n\n`);
            next += 1;
            return;
          }
          done = true;
          clearInterval(timer);
          res.end('data: [DONE]\n\n');
        }, gapMs);
        res.on('close', () => {
          clearInterval(timer);
          if (!done) model.closedEarly += 1;
        });
      });
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return model;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

test.describe('LLM relay', () => {
  let guests: Guest[] = [];
  let server: TidingsServer | undefined;
  let model: FakeModel | undefined;

  test.afterEach(async ({}, testInfo) => {
    await leave(...guests);
    guests = [];
    if (server && testInfo.status !== testInfo.expectedStatus) server.dumpLog();
    await server?.kill();
    await model?.stop();
    server = undefined;
    model = undefined;
  });

  async function start(tokens: string[], gapMs: number): Promise<TidingsServer> {
    model = await FakeModel.start(tokens, gapMs);
    server = await TidingsServer.start({
      port: await freePort(),
      args: ['--llm-url', model.url, '--llm-model', 'fake'],
      label: 'tidings-llm',
    });
    return server;
  }

  test("the assistant panel streams the model's answer", async ({ browser }) => {
    const answer = 'The fake model answers through the relay, word by word.';
    const tokens = answer.split(/(?<= )/); // words, each with its trailing space
    const tidings = await start(tokens, 40);
    const alice = await joinAs(browser, { room: uniqueRoom('llm'), name: 'Alice', origin: tidings.origin });
    guests.push(alice);

    await sendPrompt(alice.page, 'Who are you?');
    await expectStreamState(alice.page, 'completed');
    expect(await readStreamText(alice.page)).toBe(answer);
    expect(model?.prompts).toEqual(['Who are you?']);
  });

  test('Stop ends the answer and closes the upstream request', async ({ browser }) => {
    const tokens = Array.from({ length: 1000 }, (_, i) => `word${i} `);
    const tidings = await start(tokens, 50);
    const alice = await joinAs(browser, { room: uniqueRoom('llm-stop'), name: 'Alice', origin: tidings.origin });
    guests.push(alice);

    await sendPrompt(alice.page, 'Talk forever');
    await expect.poll(() => readStreamWordCount(alice.page)).toBeGreaterThanOrEqual(3);
    await stopStream(alice.page);
    await expectStreamState(alice.page, 'cancelled');
    await expect.poll(() => model?.closedEarly, { message: 'the upstream request was closed' }).toBe(1);
    expect(await readStreamWordCount(alice.page)).toBeLessThan(100);
  });
});
