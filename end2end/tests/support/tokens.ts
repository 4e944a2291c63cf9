/**
 * Tokens for the suite's servers: the secret the shared webServer runs
 * with, and minting with the real binary's `token` subcommand. No
 * Playwright imports here, so playwright.config.ts can use it too.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** `--jwt-secret` of the webServer in playwright.config.ts (≥ 32 bytes). */
export const E2E_JWT_SECRET = 'e2e-webserver-secret-e2e-webserver-0123';

/** The project root (holds Cargo.toml and target/). */
const ROOT = path.resolve(__dirname, '../../..');

export interface TokenOptions {
  sub: string;
  name: string;
  /** Adds the `admin` claim (`--admin`). */
  admin?: boolean;
  /** Topic patterns (default `*` for both). */
  subscribe?: string;
  publish?: string;
  secret?: string;
}

/** A signed token, minted by `tidings token` with the given claims. */
export function mintToken({
  sub,
  name,
  admin = false,
  subscribe = '*',
  publish = '*',
  secret = E2E_JWT_SECRET,
}: TokenOptions): string {
  const binary = path.resolve(ROOT, process.env.TIDINGS_BIN ?? 'target/release/tidings');
  const args = ['--jwt-secret', secret, 'token', '--sub', sub, '--name', name];
  args.push('--subscribe', subscribe, '--publish', publish, '--ttl', '1h');
  if (admin) args.push('--admin');
  return execFileSync(binary, args, { cwd: ROOT, encoding: 'utf8' }).trim();
}
