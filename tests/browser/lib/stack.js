// Starts the local stack (target/debug/devstack) on a free port with a fresh data directory, as `cargo xtask dev`
// would, and stops it with Ctrl-C (SIGINT) like a developer does.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const DEVSTACK = process.env.DEVSTACK_BIN ?? path.join(ROOT, 'target', 'debug', 'devstack');
export const SITE_DIR = process.env.SITE_DIR ?? path.join(ROOT, 'site');

/** Starts devstack with `--port 0` and reads the URL from its banner. Resolves to {base, stop(), log()}. */
export async function startStack() {
  if (!existsSync(DEVSTACK)) {
    throw new Error(`${DEVSTACK} does not exist: build it with \`cargo build -p devstack\` (cargo xtask browser does)`);
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), 'hotel-browser-'));
  const child = spawn(DEVSTACK, ['--port', '0', '--data-dir', dataDir, '--site-dir', SITE_DIR], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'warn' },
  });
  let output = '';
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`devstack did not print its URL within 30 s:\n${output}`)), 30_000);
    const onData = (chunk) => {
      output += chunk;
      const match = /local stack on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.setEncoding('utf8').on('data', onData);
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      output += chunk;
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`devstack exited (${code ?? signal}) before it was ready:\n${output}`));
    });
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { base, dataDir, stop, log: () => output };
}
