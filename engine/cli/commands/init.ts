import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { PROJECT_HOME } from '../../config/updraft-home.ts';
import { AlreadyExistsError } from '../../models/errors.ts';
import { projectFiles } from './project-template.ts';

/** This engine's folder (the clone or the global install), found from this file; the same in dist/ builds, which keep source paths. */
const ENGINE_ROOT = fileURLToPath(new URL('../../../', import.meta.url)).replace(/[\\/]$/, '');

/** An npm package name from a folder name: lower case, letters, digits, `-._`. */
const packageName = (folder: string): string =>
  basename(folder)
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+/, '') || 'updraft-dags';

/**
 * Writes a new project into `dir`: every file or none. Throws AlreadyExistsError
 * naming the first file that is there already, before writing anything.
 */
export function initProject(dir: string, now: Date = new Date()): string[] {
  const files = projectFiles({ name: packageName(dir), engineRoot: ENGINE_ROOT, startDate: now.toISOString().slice(0, 10) });
  const taken = Object.keys(files).find((path) => existsSync(join(dir, path)));
  if (taken)
    throw new AlreadyExistsError(`${join(dir, taken)} already exists; updraft init never overwrites a file (choose an empty folder)`);
  const made: string[] = [];
  const madeDirs: string[] = [];
  const mkdir = (path: string): void => {
    if (existsSync(path)) return;
    mkdir(dirname(path));
    mkdirSync(path);
    madeDirs.push(path);
  };
  try {
    mkdir(join(dir, PROJECT_HOME));
    for (const [path, text] of Object.entries(files)) {
      mkdir(dirname(join(dir, path)));
      // 'wx': a file that appeared since the check is still never overwritten.
      writeFileSync(join(dir, path), text, { flag: 'wx' });
      made.push(path);
    }
  } catch (error) {
    // Nothing half-written: take back what this call made.
    for (const path of made) rmSync(join(dir, path), { force: true });
    for (const path of madeDirs.reverse()) rmSync(path, { recursive: true, force: true });
    throw error;
  }
  return [...made, `${PROJECT_HOME}/`];
}

/** `updraft init [dir]`: a DAG project to start from. */
export function registerInitCommand(program: Command): void {
  program
    .command('init [dir]')
    .description('create a DAG project: dags/ with an example, package.json, tsconfig.json, updraft.config.json, .updraft/')
    .action((dirArgument: string | undefined) => {
      const dir = resolve(dirArgument ?? '.');
      const made = initProject(dir);
      const shown = relative(process.cwd(), dir);
      const cd = shown ? `  cd ${shown.includes(' ') ? JSON.stringify(shown) : shown}\n` : '';
      process.stdout.write(
        `Created an Updraft project in ${dir}: ${made.join(', ')}\n\nNext steps:\n${cd}` +
          "  npm install                      # links this engine into node_modules so editors resolve 'updraft'\n" +
          '  updraft dags list                # finds dags/ from anywhere in the project\n' +
          '  updraft dags test example_dag    # runs the example once, here and now\n' +
          '  updraft standalone               # scheduler, worker and web UI; then: updraft dags unpause example_dag\n',
      );
    });
}
