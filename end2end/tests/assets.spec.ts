/**
 * The release binary serves its embedded site: the page, JS, WASM and CSS
 * with the right content types, precompressed copies when the browser
 * accepts them, cache headers and ETag revalidation. The suite's server runs
 * from a directory holding only the binary (see scripts/test.sh).
 */
import { expect, test } from '@playwright/test';

test('embedded assets have types, compression, cache headers and ETags', async ({ request }) => {
  const page = await request.get('/');
  expect(page.status()).toBe(200);
  expect(page.headers()['content-type']).toContain('text/html');

  const wasm = await request.get('/pkg/tidings.wasm', { headers: { 'accept-encoding': 'br' } });
  expect(wasm.status()).toBe(200);
  expect(wasm.headers()['content-type']).toBe('application/wasm');
  expect(wasm.headers()['content-encoding']).toBe('br');
  expect(wasm.headers()['cache-control']).toContain('max-age=');
  expect(wasm.headers()['vary']).toContain('accept-encoding');
  const etag = wasm.headers()['etag'];
  expect(etag).toBeTruthy();

  const again = await request.get('/pkg/tidings.wasm', {
    headers: { 'accept-encoding': 'br', 'if-none-match': etag },
  });
  expect(again.status(), 'unchanged file revalidates with 304').toBe(304);

  const js = await request.get('/pkg/tidings.js', { headers: { 'accept-encoding': 'gzip' } });
  expect(js.headers()['content-type']).toContain('javascript');
  expect(js.headers()['content-encoding']).toBe('gzip');

  const css = await request.get('/pkg/tidings.css', { headers: { 'accept-encoding': 'identity' } });
  expect(css.headers()['content-type']).toContain('text/css');
  expect(css.headers()['content-encoding']).toBeUndefined();
  expect((await css.text()).length).toBeGreaterThan(100);
});
