import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { ArtifactNotFoundError } from '../../artifacts/errors.ts';
import type { ArtifactStore } from '../../artifacts/interfaces.ts';
import { InvalidInputError, UpdraftError } from '../../models/errors.ts';
import type { CliContext } from '../context.ts';
import { outputOption, printObject, printRows, type OutputFormat } from '../output.ts';

/**
 * A URI as printed by the store (`file:///…`, `postgres-artifact:///…`), or a
 * bare key (`inputs/churn/train.csv`) of this host's artifact store. A key may
 * hold ':' (`churn:v2/model.json`) but never '//' (no empty segment).
 */
const addressOf = (store: ArtifactStore, uriOrKey: string): string =>
  /^[a-z][a-z0-9+.-]*:\/\//.test(uriOrKey) ? uriOrKey : store.uri(uriOrKey);

/** A failure that is not one of ours (file system, network) as one line naming what failed. */
const oneLine = (what: string, error: unknown): Error =>
  error instanceof UpdraftError
    ? error
    : new InvalidInputError(`${what}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);

const row = (a: { uri: string; key: string; size: number; sha256: string }): Record<string, unknown> => ({
  key: a.key,
  size: a.size,
  sha256: a.sha256,
  uri: a.uri,
});

/**
 * `updraft artifacts`: what tasks hand each other (models, data sets, drift
 * reports), in the artifact store every host reads (UPDRAFT_ARTIFACTS_URL).
 * `put` is how a user gives a pipeline its input on several hosts: the run's
 * conf then names the URI instead of a path only one host has.
 */
export function registerArtifactCommands(program: Command, ctx: () => CliContext): void {
  const artifacts = program
    .command('artifacts')
    .description('the artifact store: models, data sets and reports, by URI (UPDRAFT_ARTIFACTS_URL)');

  artifacts
    .command('list [prefix]')
    .description('artifacts whose key starts with the prefix, from their records')
    .addOption(outputOption())
    .action(async (prefix: string | undefined, o: { output: OutputFormat }) => {
      printRows((await (await ctx().artifacts()).list(prefix ?? '')).map(row), o.output, ['key', 'size', 'sha256', 'uri']);
    });

  artifacts
    .command('put <file> <key>')
    .description('stores a local file under the key (streamed, with its SHA-256) and prints its URI (json: key, size, sha256, uri)')
    .addOption(outputOption())
    .action(async (file: string, key: string, o: { output: OutputFormat }) => {
      const path = resolve(file);
      if (!existsSync(path)) throw new InvalidInputError(`artifacts put: no such file: ${file}`);
      if (!statSync(path).isFile()) throw new InvalidInputError(`artifacts put: not a regular file: ${file}`);
      const store = await ctx().artifacts();
      store.uri(key); // a bad key is refused before anything is read
      const info = await store.put(key, createReadStream(path)).catch((error: unknown) => {
        throw oneLine(`artifacts put: cannot store ${file} as ${store.uri(key)}`, error);
      });
      // The URI alone, for `URI=$(updraft artifacts put ...)`.
      if (o.output === 'json') printObject(row(info), 'json');
      else process.stdout.write(`${info.uri}\n`);
    });

  artifacts
    .command('get <uri>')
    .description('writes the artifact, verified against its SHA-256, to a file (or stdout)')
    .option(
      '--to <path>',
      "file to write, or a folder to write it into under its key's last segment; it appears only once every byte is verified (default: stdout)",
    )
    .action(async (uri: string, o: { to?: string }) => {
      const store = await ctx().artifacts();
      const address = addressOf(store, uri);
      if (!o.to) {
        // To stdout the bytes go as they are read: a corrupt artifact fails after them, with a non-zero exit.
        // A reader that stops early (`| head`) ends the command quietly.
        process.stdout.on('error', (error: NodeJS.ErrnoException) => {
          if (error.code === 'EPIPE') process.exit(0);
          throw error;
        });
        try {
          for await (const chunk of store.stream(address))
            if (!process.stdout.write(chunk)) await new Promise((r) => process.stdout.once('drain', r));
        } catch (error) {
          throw oneLine(`artifacts get: cannot read ${address}`, error);
        }
        return;
      }
      await download(store, address, o.to);
    });

  artifacts
    .command('stat <uri>')
    .description('size and SHA-256 as recorded (bytes not read)')
    .addOption(outputOption())
    .action(async (uri: string, o: { output: OutputFormat }) => {
      const store = await ctx().artifacts();
      printObject(row(await store.stat(addressOf(store, uri))), o.output);
    });

  artifacts
    .command('delete <uri>')
    .description('removes the artifact (a registered model version that points at it can no longer be deployed)')
    .action(async (uri: string) => {
      const store = await ctx().artifacts();
      const address = addressOf(store, uri);
      if (!(await store.delete(address))) throw new ArtifactNotFoundError(address);
      process.stdout.write(`deleted ${address}\n`);
    });
}

/**
 * Writes the artifact to `to` (a file, or a folder as `cp` takes one) through
 * a hidden file beside it, renamed into place only after the last byte was
 * verified: a corrupt artifact or a failed write leaves nothing.
 */
async function download(store: ArtifactStore, address: string, to: string): Promise<void> {
  let target = resolve(to);
  if (existsSync(target) && statSync(target).isDirectory()) target = join(target, basename((await store.stat(address)).key));
  if (!existsSync(dirname(target))) throw new InvalidInputError(`artifacts get --to: no such folder: ${dirname(to)}`);
  if (existsSync(target) && !statSync(target).isFile()) throw new InvalidInputError(`artifacts get --to: not a regular file: ${to}`);
  const partial = join(dirname(target), `.${basename(target)}.${process.pid}.partial`);
  try {
    await pipeline(store.stream(address), createWriteStream(partial));
    await rename(partial, target);
  } catch (error) {
    await unlink(partial).catch(() => undefined);
    // The side that failed: a write error names the file written (permissions, a full disk); a read error the store's.
    const writing = [partial, target].includes((error as NodeJS.ErrnoException).path ?? '');
    throw oneLine(writing ? `artifacts get --to: cannot write ${target}` : `artifacts get: cannot read ${address}`, error);
  }
}
