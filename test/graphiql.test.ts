import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestApp } from './support/harness.js';

// GraphiQL as a newcomer meets it: Debian's Chromium, headless, on a machine whose only
// network is loopback, so the page must bring every script and style itself.

const app = useTestApp();
let server: Server;
let browser: Browser;
let url: string;
const external: string[] = [];
/** Monaco renders spaces as no-break spaces. */
const textOf = async (locator: { innerText(): Promise<string> }) => (await locator.innerText()).replace(/\u00a0/g, ' ');

beforeAll(async () => {
  server = createServer(app.yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
});

describe('GraphiQL', () => {
  it('renders without any request leaving the machine, opens with the example operations, and runs a query typed into the editor', async () => {
    const page = await browser.newPage();
    page.on('request', (request) => {
      const target = new URL(request.url());
      if (!['127.0.0.1', 'localhost'].includes(target.hostname) && !['data:', 'blob:'].includes(target.protocol)) {
        external.push(request.url());
      }
    });
    await page.goto(url);
    const editor = page.locator('.graphiql-query-editor');
    await editor.waitFor({ timeout: 20_000 });
    await expect.poll(() => textOf(editor), { timeout: 10_000 }).toContain('query Races');

    await editor.click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    // Named as the example's first operation, which GraphiQL has selected to run.
    await page.keyboard.type('query Races { races { id name } }');
    await page.keyboard.press('Control+Enter');

    const result = page.locator('.graphiql-response');
    await expect.poll(() => textOf(result), { timeout: 10_000 }).toContain('"races"');
    const shown = JSON.parse(await textOf(result));
    expect(shown.data.races).toHaveLength(5);
    expect(shown.data.races[0]).toEqual({ id: expect.any(String), name: expect.any(String) });
    expect(external).toEqual([]);
    await page.close();
  });
});
