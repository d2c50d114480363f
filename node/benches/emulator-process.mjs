// The `visionxl-emulator` binary as a child process, for the soak (node/benches/soak.mjs) and the
// benchmarks (benches/node_common.mjs): the default key gets `credits`, the first stdout line is
// the base URL. No import of the package itself, so a benchmark can load its own build of it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const EMULATOR_KEY = 'vxl-emulator-key';

/** Starts `binary` on a free loopback port: `{ baseUrl, pid, binary, close }`. */
export async function startEmulatorBinary(binary, credits = 1e12) {
  const keysFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'visionxl-emulator-keys-')), 'keys.json');
  fs.writeFileSync(keysFile, JSON.stringify([{ key: EMULATOR_KEY, credits }]));
  const child = spawn(binary, ['--port', '0', '--keys', keysFile], { stdio: ['ignore', 'pipe', 'ignore'] });
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(path.dirname(keysFile), { recursive: true, force: true });
  };
  const baseUrl = await new Promise((resolve) => {
    let buf = '';
    const timer = setTimeout(() => resolve(null), 30_000);
    child.stdout.on('data', (chunk) => {
      buf += chunk;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl).trim());
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(null);
    });
    child.once('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
  });
  child.stdout.resume();
  if (!baseUrl?.startsWith('http://')) {
    await close();
    throw new Error(`${binary} did not print its base URL`);
  }
  return { baseUrl, pid: child.pid, binary, close };
}
