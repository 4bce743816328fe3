import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, readlink, rename, symlink, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { inChunks } from './artifact-body.ts';
import { keySegments } from './artifact-key.ts';
import { ArtifactAddressError, ArtifactCorruptError, ArtifactNotFoundError, digestMismatch } from './errors.ts';
import type { ArtifactBody, ArtifactInfo, ArtifactStore } from './interfaces.ts';

export interface LocalArtifactStoreOptions {
  /** The directory holding the artifacts (one host's, or a mount every host shares at the same path). */
  root: string;
  /** Bytes per read and write call. @defaultValue 1 MiB */
  chunkSize?: number;
}

/** `.<name>.<sha256>`: the content file a key's link points at. */
const CONTENT = /^\.(.+)\.([0-9a-f]{64})$/;
const errno = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | null)?.code;

/**
 * Artifacts in a directory, addressed by `file://` URIs.
 *
 * The bytes of `models/m/model.json` live in the hidden file
 * `models/m/.model.json.<sha256>` next to it, and `models/m/model.json` is a
 * symbolic link to that file. The link's target is the recorded digest: one
 * `rename` of a new link puts the bytes and their SHA-256 in place together,
 * so a reader never pairs new bytes with an old digest (a sidecar file would
 * need two renames), and a plain tool reading the path still gets the bytes.
 */
export class LocalArtifactStore implements ArtifactStore {
  readonly backend = 'local' as const;
  readonly location: string;
  private readonly chunkSize: number;

  constructor(options: LocalArtifactStoreOptions) {
    this.location = resolve(options.root);
    this.chunkSize = options.chunkSize ?? 1024 * 1024;
  }

  uri(key: string): string {
    return pathToFileURL(join(this.location, ...keySegments(key))).href;
  }

  async put(key: string, body: ArtifactBody): Promise<ArtifactInfo> {
    const path = join(this.location, ...keySegments(key));
    const dir = dirname(path);
    const name = basename(path);
    // In a directory a key cannot also be a folder of other keys (PostgreSQL has no such limit): refused before anything is written.
    if ((await lstat(path).catch(() => null))?.isDirectory())
      throw new ArtifactAddressError(`artifact key '${key}' is a folder of other artifacts in ${this.location}`);
    await mkdir(dir, { recursive: true }).catch((error: unknown) => {
      if (errno(error) === 'EEXIST' || errno(error) === 'ENOTDIR')
        throw new ArtifactAddressError(`artifact key '${key}' lies under another artifact's key in ${this.location}`);
      throw error;
    });
    const tmp = join(dir, `.${name}.${randomBytes(6).toString('hex')}.tmp`);
    const hash = createHash('sha256');
    let size = 0;
    const file = await open(tmp, 'wx');
    try {
      for await (const chunk of inChunks(body, this.chunkSize)) {
        hash.update(chunk);
        size += chunk.length;
        await writeAll(file, chunk);
      }
      // Durable before it becomes visible: a crash must not leave a link to a short file.
      await file.sync();
    } catch (error) {
      await file.close();
      await unlink(tmp).catch(() => undefined);
      throw error;
    }
    await file.close();
    const sha256 = hash.digest('hex');
    const content = `.${name}.${sha256}`;
    await rename(tmp, join(dir, content));
    const link = join(dir, `.${name}.${randomBytes(6).toString('hex')}.link`);
    await symlink(content, link);
    const previous = await readlink(path).catch(() => null);
    await rename(link, path);
    // The replaced bytes: a reader that already opened them keeps reading them; one that
    // read the old link but has not opened yet retries on the new one (see read()).
    if (previous && previous !== content && CONTENT.test(previous)) await unlink(join(dir, previous)).catch(() => undefined);
    return { uri: pathToFileURL(path).href, key, size, sha256 };
  }

  async get(uri: string): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const chunk of this.stream(uri)) parts.push(chunk);
    return Buffer.concat(parts);
  }

  async *stream(uri: string): AsyncGenerator<Buffer> {
    const path = this.path(uri);
    for (let attempt = 0; ; attempt++) {
      const recorded = await this.recorded(uri, path);
      let file: FileHandle;
      try {
        file = await open(join(dirname(path), recorded.content), 'r');
      } catch (error) {
        if (errno(error) !== 'ENOENT') throw error;
        // Replaced between reading the link and opening its target: read the new one.
        if (attempt < 3 && (await this.recorded(uri, path).catch(() => recorded)).content !== recorded.content) continue;
        throw new ArtifactCorruptError(uri, 'its content file is missing');
      }
      const hash = createHash('sha256');
      let size = 0;
      try {
        for (;;) {
          const buffer = Buffer.allocUnsafe(this.chunkSize);
          const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
          if (bytesRead === 0) break;
          const chunk = buffer.subarray(0, bytesRead);
          hash.update(chunk);
          size += bytesRead;
          yield chunk;
        }
      } finally {
        await file.close();
      }
      const actual = hash.digest('hex');
      if (actual !== recorded.sha256) throw new ArtifactCorruptError(uri, digestMismatch(recorded.sha256, actual, size, size));
      return;
    }
  }

  async stat(uri: string): Promise<ArtifactInfo> {
    const path = this.path(uri);
    const recorded = await this.recorded(uri, path);
    const info = await lstat(join(dirname(path), recorded.content)).catch((error: unknown) => {
      if (errno(error) === 'ENOENT') throw new ArtifactCorruptError(uri, 'its content file is missing');
      throw error;
    });
    return { uri, key: this.keyOf(path), size: info.size, sha256: recorded.sha256 };
  }

  async list(prefix = ''): Promise<ArtifactInfo[]> {
    const found: ArtifactInfo[] = [];
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
        if (errno(error) === 'ENOENT') return [];
        throw error;
      });
      for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        // Content files and unfinished writes are hidden; a key is a link to its content file.
        if (entry.name.startsWith('.')) continue;
        const path = join(dir, entry.name);
        const key = this.keyOf(path);
        if (entry.isDirectory()) {
          if (prefix.startsWith(`${key}/`) || key.startsWith(prefix)) await walk(path);
        } else if (entry.isSymbolicLink() && key.startsWith(prefix)) {
          const info = await this.listed(pathToFileURL(path).href);
          if (info) found.push(info);
        }
      }
    };
    await walk(this.location);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** A listed link's record; null when it went meanwhile. A link replaced between reading it and its content file is read again. */
  private async listed(uri: string): Promise<ArtifactInfo | null> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.stat(uri);
      } catch (error) {
        if (error instanceof ArtifactNotFoundError) return null;
        if (!(error instanceof ArtifactCorruptError) || attempt > 0) throw error;
      }
    }
  }

  async delete(uri: string): Promise<boolean> {
    const path = this.path(uri);
    let recorded: { content: string };
    try {
      recorded = await this.recorded(uri, path);
    } catch (error) {
      if (error instanceof ArtifactNotFoundError) return false;
      throw error;
    }
    await unlink(path);
    await unlink(join(dirname(path), recorded.content)).catch(() => undefined);
    return true;
  }

  async close(): Promise<void> {}

  /** The local path of a `file:` URI; another backend's URI is an error naming it. */
  private path(uri: string): string {
    if (!uri.startsWith('file:')) {
      throw new ArtifactAddressError(
        `artifact ${uri} is not in a local artifact store (this host's artifact store is ${this.location}; see UPDRAFT_ARTIFACTS_URL)`,
      );
    }
    return fileURLToPath(uri);
  }

  /** The content file and digest the key's link records. */
  private async recorded(uri: string, path: string): Promise<{ content: string; sha256: string }> {
    let target: string;
    try {
      target = await readlink(path);
    } catch (error) {
      const code = errno(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new ArtifactNotFoundError(uri);
      if (code === 'EINVAL') {
        // A plain file outside the store's directory was never an artifact: say where the store is.
        if (relative(this.location, path).startsWith('..'))
          throw new ArtifactAddressError(
            `artifact ${uri} is not in this host's artifact store (${this.location}; see UPDRAFT_ARTIFACTS_URL)`,
          );
        // A folder of keys (`models`) is no artifact, as in PostgreSQL, where it is no row.
        if ((await lstat(path)).isDirectory()) throw new ArtifactNotFoundError(uri, 'a folder of artifacts');
        throw new ArtifactCorruptError(uri, 'no recorded SHA-256: a plain file, not written by the artifact store');
      }
      throw error;
    }
    const match = CONTENT.exec(target);
    if (!match || match[1] !== basename(path)) throw new ArtifactCorruptError(uri, `its link points at '${target}', not at a content file`);
    return { content: target, sha256: match[2]! };
  }

  private keyOf(path: string): string {
    const rel = relative(this.location, path);
    return rel.startsWith('..') ? path : rel.split(sep).join('/');
  }
}

/** FileHandle.write may write less than asked; loop until the chunk is down. */
async function writeAll(file: FileHandle, chunk: Buffer): Promise<void> {
  for (let at = 0; at < chunk.length; ) {
    const { bytesWritten } = await file.write(chunk, at, chunk.length - at);
    at += bytesWritten;
  }
}
