import { defineConfig } from '@playwright/test';
import { E2E_JWT_SECRET } from './tests/support/tokens';

/**
 * End-to-end tests for Tidings.
 *
 * The server binary is started once for the whole run (see `webServer`) from
 * the project root. Build it first (`cargo leptos build --release`), or point
 * TIDINGS_BIN at another build. Browsers are never downloaded: the suite runs
 * against Debian's Chromium (override with CHROMIUM_PATH).
 */

/** Server binary, relative to the project root (the webServer's cwd). */
const bin = process.env.TIDINGS_BIN ?? 'target/release/tidings';

/** The shared server's port: E2E_PORT, so two checkouts can run side by side (default 3900). */
const PORT = Number(process.env.E2E_PORT ?? 3900);
if (!Number.isInteger(PORT) || PORT < 1 || PORT > 65535) {
  throw new Error(`E2E_PORT must be a TCP port (1-65535), not "${process.env.E2E_PORT}"`);
}
const BASE_URL = `http://127.0.0.1:${PORT}`;

export default defineConfig({
  testDir: './tests',
  outputDir: 'test-results',
  // 2-core machine and every spec talks to the same server: run one at a time.
  workers: 1,
  fullyParallel: false,
  retries: 0,
  forbidOnly: !!process.env.CI,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: 'list',
  use: {
    baseURL: BASE_URL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-dev-shm-usage',
      ],
    },
  },
  webServer: {
    // A known JWT secret, so specs can mint tokens (e.g. admin.spec.ts).
    command: `${bin} --addr 127.0.0.1:${PORT} --demo-job-ms 4000 --jwt-secret ${E2E_JWT_SECRET}`,
    // TIDINGS_RUN_DIR: a directory holding only the binary (the site is
    // embedded in release builds), to show it needs nothing beside it.
    cwd: process.env.TIDINGS_RUN_DIR ?? '..',
    url: `${BASE_URL}/healthz`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
    stdout: 'pipe',
  },
});
