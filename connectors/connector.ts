import { createHash, randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

/**
 * The contract every connector implements. A connector moves bytes to and from one kind of system; it
 * never inspects, logs or keeps content, and it never decides whether a transfer may happen.
 * Paths are always relative to the connector's configured root and use `/` as separator.
 */
export interface Connector {
  /** The registry id of this connector's kind (`local`, `s3`, `sftp`). */
  readonly kind: string;

  /**
   * Lists the files a selector matches, in a stable order. Called by the engine once per fetch.
   * Must not follow links or paths that leave the root; directories are not returned, only files.
   */
  list(selector?: Selector): AsyncIterable<ListedItem>;

  /**
   * Opens one listed item for reading. The stream yields the item's bytes exactly once; the caller
   * consumes or destroys it. Refuses paths that leave the root.
   */
  open(path: string): Promise<Readable>;

  /**
   * Writes a stream to `path` atomically: readers of the destination never see a partial file, and
   * a failed or aborted write leaves nothing at `path` (it writes to a temporary name, then renames).
   * An existing file at `path` is replaced, so a re-run after a crash leaves no duplicate. Resolves
   * with what was actually written. If the source stream errors, the write fails and cleans up.
   * With `options.attempt` the temporary name is derived from it (see `temporaryName`), and a leftover of
   * that name from an earlier attempt killed mid-write is removed first, so a crash leaves nothing lasting.
   */
  write(path: string, data: Readable, options?: WriteOptions): Promise<WriteResult>;

  /**
   * Removes the temporary file a write of `path` with this `attempt` may have left when its process was
   * killed mid-write. Never touches the file at `path` itself; idempotent, and nothing to remove is fine.
   * Optional: a connector whose writes appear atomically without a temporary name has nothing to discard.
   */
  discardPartial?(path: string, attempt: string): Promise<void>;

  /**
   * Called by the engine for a source item once its delivery has been verified, to apply the source's
   * configured `after` handling (`keep`, `delete`, `move:<prefix>`). Never called before verification;
   * must be safe to call twice (a crash between the two steps repeats it). Optional: keep by default.
   */
  afterDelivered?(path: string): Promise<void>;

  /** A description for logs and the UI: kind and location, never a credential. */
  describe(): ConnectorDescription;

  /** Releases connections; the connector is unusable afterwards. */
  close?(): Promise<void>;
}

/** What to pick from a source. Omitted fields mean "everything under the root". */
export interface Selector {
  /** A sub-folder (relative to the root) to list instead of the root. */
  prefix?: string;
  /** Glob patterns matched against the relative path (`*` within a segment, `**` across segments). */
  include?: readonly string[];
  /** Glob patterns whose matches are left out, applied after `include`. */
  exclude?: readonly string[];
}

export interface ListedItem {
  /** Path relative to the root, `/`-separated, never starting with `/` and never containing `..`. */
  path: string;
  size: number;
  modifiedAt?: Date;
}

export interface WriteOptions {
  /** Aborts the write; the temporary file is removed. */
  signal?: AbortSignal;
  /**
   * A stable identity of this delivery (the engine passes the item's id), the same on every retry and after
   * a restart. It names the temporary file, so a retry finds and replaces what a killed attempt left behind,
   * and `discardPartial` can remove it. Without it the temporary name is random.
   */
  attempt?: string;
}

export interface WriteResult {
  path: string;
  size: number;
  /** Lower-case hex SHA-256 of the bytes written, computed while writing. */
  sha256: string;
}

export interface ConnectorDescription {
  kind: string;
  /** Where this connector points (a directory, a bucket/prefix, host:port/path), without secrets. */
  location: string;
}

/** Builds a connector from its validated settings; `resolveSecret` turns `${env:…}` references into values at use. */
export interface ConnectorFactory<Config> {
  readonly kind: string;
  /** Validates raw YAML settings; throws a zod error naming the field. */
  parseConfig(raw: unknown): Config;
  create(config: Config, context: ConnectorContext): Connector;
}

export interface ConnectorContext {
  /** Directory relative paths in the config are resolved against (the pipeline file's project root). */
  baseDir: string;
  resolveSecret(reference: string): Promise<string>;
}

/** The temporary names `temporaryName` makes: never listed, so another pipeline cannot pick up a partial write. */
export const TEMP_NAME = /^\..*\.airlock-tmp-[0-9a-f]{12}$/s;

/**
 * The temporary name a write of a file called `name` uses beside it: `.<name>.airlock-tmp-<12 hex>`, the hex
 * being the start of SHA-256(`attempt`) when given (so a later attempt can find it), random otherwise. The
 * name is cut to 64 characters so the temporary name stays under the usual 255-byte limit.
 */
export function temporaryName(name: string, attempt?: string): string {
  const suffix = attempt === undefined ? randomBytes(6).toString('hex') : createHash('sha256').update(attempt).digest('hex').slice(0, 12);
  return `.${name.slice(0, 64)}.airlock-tmp-${suffix}`;
}
