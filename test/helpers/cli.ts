import { spawn } from 'node:child_process';
import { mkdtempSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..', '..');
export const BIN = join(REPO, 'bin', 'updraft.mjs');
export const FIXTURES = join(REPO, 'test', 'fixtures');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A fresh temporary folder. */
export const tempDir = (prefix = 'updraft-test-'): string => mkdtempSync(join(tmpdir(), prefix));

/** Copies fixture DAG files into a folder outside the repository (DAGs must work from anywhere). */
export function dagFolderFrom(...fixtureFiles: string[]): string {
  const folder = tempDir('updraft-dags-');
  for (const f of fixtureFiles) cpSync(join(FIXTURES, f), join(folder, f.split('/').pop()!));
  return folder;
}

/**
 * Runs the real `updraft` command in a child process. Its HOME is `cwd` unless `env` says
 * otherwise: outside a project the home is `~/updraft`, and a test never writes into the real one.
 */
export function runCli(args: string[], env: Record<string, string> = {}, cwd = tempDir()): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, HOME: cwd, UPDRAFT_LOG_FORMAT: 'json', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    // A process killed by a signal says so, or a failure would show an empty stderr.
    child.on('close', (code, signal) =>
      done({ code: code ?? -1, stdout, stderr: signal ? `${stderr}[updraft ${args.join(' ')} was killed by ${signal}]` : stderr }),
    );
  });
}

/** Runs the CLI and parses its JSON output; fails loudly with stderr if it exits non-zero. */
export async function cliJson<T = unknown>(args: string[], env: Record<string, string> = {}): Promise<T> {
  const r = await runCli([...args, '--output', 'json'], env);
  if (r.code !== 0) throw new Error(`updraft ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
