/**
 * A real recordings directory (Asterisk's monitor spool, say), served
 * read-only. The tree is scanned at start and again when a request finds the
 * last scan older than `rescanMs`, so files Asterisk adds show up without a
 * restart; only new or changed files have their header read. A file's id is
 * its base name without extension; ids are looked up, never joined into
 * paths. Symlinks are followed only to files inside the directory; symlinked
 * directories and dot-files are not entered.
 *
 * @example
 * ```ts
 * import { DirectoryCatalog } from "./directory.ts";
 *
 * const catalog = await DirectoryCatalog.open("/var/spool/asterisk/monitor");
 * const { recordings } = await catalog.list({ extension: "202", limit: 10 });
 * ```
 *
 * @module
 */

import { constants, fstatSync, lstatSync, realpathSync, type Stats } from "node:fs";
import { type FileHandle, lstat, open, readdir, realpath, stat } from "node:fs/promises";
import { join, sep } from "node:path";
import {
  type ListQuery,
  newestFirst,
  type OpenedRecording,
  type Recording,
  type RecordingCatalog,
  type RecordingPage,
  selectPage,
} from "./catalog.ts";
import { MediaFormatError, RecordingsDirectoryError } from "./errors.ts";
import { type AudioFormat, CONTENT_TYPES, formatOfName, mediaInfo } from "./media_info.ts";
import { parseMonitorName } from "./monitor_names.ts";
import { openedFile } from "./opened_file.ts";

/** Options of {@linkcode DirectoryCatalog.open}. */
export interface DirectoryOptions {
  /** Rescan when the last scan is older than this (ms). Default 2,000. */
  rescanMs?: number;
  /** Told about files that are skipped (unreadable header, ...), once per change of the file. */
  onSkip?: (relativePath: string, reason: string) => void;
}

/** How much of a file is read to learn its format and duration. */
const HEAD_BYTES = 64 * 1024;
/** An unknown id triggers a rescan when the last one is older than this. */
const MISS_RESCAN_MS = 250;
/** Which file wins when two share a base name (the same call in several formats). */
const FORMAT_RANK: Record<AudioFormat, number> = { wav: 0, gsm: 1, mp3: 2 };

interface FileEntry {
  recording: Recording;
  relativePath: string;
  realPath: string;
  size: number;
  mtimeMs: number;
  ino: number;
}

/** Recordings from a directory tree. */
export class DirectoryCatalog implements RecordingCatalog {
  readonly root: string;
  readonly #rescanMs: number;
  readonly #onSkip: (relativePath: string, reason: string) => void;
  #files = new Map<string, FileEntry>();
  #byId = new Map<string, FileEntry>();
  #sorted: Recording[] = [];
  #skipped = new Map<string, string>();
  #scannedAt = 0;
  #scanning: Promise<void> | undefined;

  private constructor(root: string, options: DirectoryOptions) {
    this.root = root;
    this.#rescanMs = options.rescanMs ?? 2_000;
    this.#onSkip = options.onSkip ?? (() => {});
  }

  /** Opens `dir` and scans it; throws RecordingsDirectoryError if it is not a readable directory. */
  static async open(dir: string, options: DirectoryOptions = {}): Promise<DirectoryCatalog> {
    let root: string;
    try {
      root = await realpath(dir);
      if (!(await stat(root)).isDirectory()) throw new Error("not a directory");
      await readdir(root);
    } catch (error) {
      throw new RecordingsDirectoryError(dir, { cause: error });
    }
    const catalog = new DirectoryCatalog(root, options);
    await catalog.#refresh(0);
    return catalog;
  }

  async list(query: ListQuery): Promise<RecordingPage> {
    await this.#refresh(this.#rescanMs);
    return selectPage(this.#sorted, query);
  }

  async get(id: string): Promise<Recording | undefined> {
    return (await this.#find(id))?.recording;
  }

  async open(id: string): Promise<OpenedRecording | undefined> {
    const entry = await this.#find(id);
    if (!entry) return undefined;
    let handle: FileHandle;
    try {
      // The path may have become a symlink since the scan: refuse to follow it.
      handle = await open(entry.realPath, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    } catch {
      return undefined; // gone since the scan
    }
    try {
      // The checks are synchronous: three metadata calls cost a few µs this way, ~50 µs each
      // as promises, and every Range request a player makes pays them.
      const now = fstatSync(handle.fd);
      // Deno ignores O_NOFOLLOW unless run with --allow-all (its permission check opens the
      // resolved path), so check that the file opened is the one the path names in the root.
      if (!this.#namesInside(entry.realPath, now)) {
        await handle.close();
        return undefined;
      }
      let current = entry;
      if (now.size !== entry.size || now.mtimeMs !== entry.mtimeMs || now.ino !== entry.ino) {
        // Still being written (or replaced): describe it as it is now.
        current = await this.#describe(entry.relativePath, entry.realPath, now, handle);
        this.#files.set(entry.relativePath, current);
        this.#index();
      }
      return openedFile(current.recording, handle);
    } catch (error) {
      await handle.close();
      if (error instanceof MediaFormatError) return undefined;
      throw error;
    }
  }

  playbackPath(recording: Recording, spoolDir: string): string {
    return `${spoolDir.replace(/\/+$/, "")}/${recording.file}`;
  }

  close(): void {}

  /** Does `path`, symlinks resolved, lie inside the root and name the file `opened` describes? */
  #namesInside(path: string, opened: Stats): boolean {
    try {
      const real = realpathSync(path);
      if (!real.startsWith(this.root + sep)) return false;
      const named = lstatSync(real);
      return named.isFile() && named.ino === opened.ino && named.dev === opened.dev;
    } catch {
      return false; // gone meanwhile
    }
  }

  /** A known id is answered at once (a due rescan runs behind it); an unknown one waits for a rescan. */
  async #find(id: string): Promise<FileEntry | undefined> {
    const known = this.#byId.get(id);
    if (known) {
      this.#refresh(this.#rescanMs).catch(() => {}); // a failed scan keeps the last index
      return known;
    }
    await this.#refresh(MISS_RESCAN_MS);
    return this.#byId.get(id);
  }

  /** Rescans if the last scan is older than `maxAgeMs`; concurrent callers share one scan. */
  async #refresh(maxAgeMs: number): Promise<void> {
    if (this.#scanning) return await this.#scanning;
    if (this.#scannedAt > 0 && Date.now() - this.#scannedAt < maxAgeMs) return;
    this.#scanning = this.#scan().finally(() => this.#scanning = undefined);
    await this.#scanning;
  }

  async #scan(): Promise<void> {
    const started = Date.now();
    const seen = new Map<string, FileEntry>();
    const candidates = new Set<string>();
    const walk = async (dir: string, relative: string): Promise<void> => {
      let names;
      try {
        names = await readdir(dir, { withFileTypes: true });
      } catch {
        return; // removed or unreadable meanwhile
      }
      for (const dirent of names) {
        if (dirent.name.startsWith(".")) continue;
        const path = join(dir, dirent.name);
        const rel = relative ? join(relative, dirent.name) : dirent.name;
        if (dirent.isDirectory()) {
          await walk(path, rel);
          continue;
        }
        if (!formatOfName(dirent.name)) continue;
        if (!dirent.isFile() && !dirent.isSymbolicLink()) continue;
        candidates.add(rel);
        const entry = await this.#scanFile(rel, path, dirent.isSymbolicLink());
        if (entry) seen.set(rel, entry);
      }
    };
    await walk(this.root, "");
    for (const path of this.#skipped.keys()) {
      if (!candidates.has(path)) this.#skipped.delete(path); // gone: forget it was skipped
    }
    this.#files = seen;
    this.#index();
    this.#scannedAt = started;
  }

  async #scanFile(
    relativePath: string,
    path: string,
    symlink: boolean,
  ): Promise<FileEntry | undefined> {
    try {
      const realPath = symlink ? await realpath(path) : path;
      if (symlink && !realPath.startsWith(this.root + sep)) return undefined; // leaves the directory
      // lstat: a path that became a symlink since readdir is left to the next scan.
      const stats = symlink ? await stat(realPath) : await lstat(path);
      if (!stats.isFile()) return undefined;
      const known = this.#files.get(relativePath);
      if (
        known && known.realPath === realPath && known.size === stats.size &&
        known.mtimeMs === stats.mtimeMs && known.ino === stats.ino
      ) return known;
      const skipKey = `${stats.size}:${stats.mtimeMs}`;
      try {
        const entry = await this.#describe(relativePath, realPath, stats);
        this.#skipped.delete(relativePath);
        return entry;
      } catch (error) {
        if (this.#skipped.get(relativePath) !== skipKey) {
          this.#skipped.set(relativePath, skipKey);
          this.#onSkip(relativePath, (error as Error).message);
        }
        return undefined;
      }
    } catch {
      return undefined; // removed meanwhile, or a dangling symlink
    }
  }

  /** Reads the head of a file and describes it. */
  async #describe(
    relativePath: string,
    realPath: string,
    stats: Stats,
    handle?: FileHandle,
  ): Promise<FileEntry> {
    const file = handle ?? await open(realPath, constants.O_RDONLY);
    let head: Uint8Array;
    try {
      const buffer = new Uint8Array(Math.min(HEAD_BYTES, stats.size));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      if (!handle) await file.close();
    }
    const name = relativePath.split(sep).at(-1)!;
    const format = formatOfName(name)!;
    const info = mediaInfo(format, head, stats.size);
    const id = name.replace(/\.[^.]+$/, "");
    const named = parseMonitorName(id);
    return {
      relativePath,
      realPath,
      size: stats.size,
      mtimeMs: stats.mtimeMs,
      ino: stats.ino,
      recording: {
        id,
        file: relativePath.replace(/\.[^./]+$/, "").split(sep).join("/"),
        src: named?.src ?? null,
        dst: named?.dst ?? null,
        callerId: named?.src ? { name: null, number: named.src } : null,
        direction: named?.direction ?? "unknown",
        startedAt: named?.startedAt ?? Math.round(stats.mtimeMs - (info.durationMs ?? 0)),
        durationMs: info.durationMs,
        size: stats.size,
        format,
        contentType: CONTENT_TYPES[format],
        codec: info.codec,
        sampleRate: info.sampleRate,
        channels: info.channels,
        lastModified: Math.floor(stats.mtimeMs),
        etag: `"${stats.ino.toString(36)}-${stats.size.toString(36)}-${
          Math.floor(stats.mtimeMs).toString(36)
        }"`,
      },
    };
  }

  /** Rebuilds the id index and the sorted list from the files. */
  #index(): void {
    const byId = new Map<string, FileEntry>();
    for (const entry of this.#files.values()) {
      const other = byId.get(entry.recording.id);
      if (!other || preferred(entry, other)) byId.set(entry.recording.id, entry);
    }
    this.#byId = byId;
    this.#sorted = [...byId.values()].map((e) => e.recording).sort(newestFirst);
  }
}

/** Of two files with one base name: the better format, then the shorter, then the first path. */
function preferred(a: FileEntry, b: FileEntry): boolean {
  const rank = FORMAT_RANK[a.recording.format] - FORMAT_RANK[b.recording.format];
  if (rank !== 0) return rank < 0;
  if (a.relativePath.length !== b.relativePath.length) {
    return a.relativePath.length < b.relativePath.length;
  }
  return a.relativePath < b.relativePath;
}
