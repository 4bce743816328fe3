// Is the precompiled build in dist/ current? Read by bin/updraft.mjs on every
// start (so plain JavaScript, no TypeScript loader yet) and written by
// scripts/build.mjs. A stale build must never run: the sources are edited
// all the time and whoever runs `updraft` expects what the sources say.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Folders compiled file by file into dist/<same path>. */
export const SOURCE_DIRS = ['engine', 'ml', 'operators', 'workers'];
/** Files outside SOURCE_DIRS whose change changes the build. */
const BUILD_INPUTS = ['package.json', 'tsconfig.json', 'scripts/build.mjs'];
export const STAMP = 'build.json';

/**
 * The newest modification time under the sources: files and folders (a
 * folder's mtime moves when a file is added, removed or renamed in it).
 */
export function newestSourceMtime(root) {
  let newest = 0;
  const visit = (path) => {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.mtimeMs > newest) newest = stat.mtimeMs;
    if (!stat.isDirectory()) return;
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const child = join(path, entry.name);
      if (entry.isDirectory()) visit(child);
      else {
        const mtime = statSync(child, { throwIfNoEntry: false })?.mtimeMs ?? 0;
        if (mtime > newest) newest = mtime;
      }
    }
  };
  for (const dir of SOURCE_DIRS) visit(join(root, dir));
  for (const file of BUILD_INPUTS) visit(join(root, file));
  return newest;
}

/**
 * The build to run, as `{ src, dist }` file URLs (with trailing slashes), or
 * null when there is none, it was built from another checkout, or any source
 * changed since the build started.
 */
export function currentBuild(root) {
  const distDir = join(root, 'dist');
  const stampFile = join(distDir, STAMP);
  if (!existsSync(stampFile)) return null;
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
  } catch {
    return null; // a build being written
  }
  if (stamp.root !== root || !(stamp.builtAt > newestSourceMtime(root))) return null;
  return { src: pathToFileURL(`${root}/`).href, dist: pathToFileURL(`${distDir}/`).href };
}
