/** Bounds on opening containers; beyond them an `archive_bomb` finding is reported instead of expanding. */
export interface InspectionLimits {
  /** How deep containers are opened inside containers (zip in tar in gzip is depth 3). */
  maxDepth: number;
  /** Expanded bytes per compressed byte of the item, above which it is a bomb. */
  maxRatio: number;
  /** Expanded bytes, all members of one item together. */
  maxExpandedBytes: number;
  /** Members of one item, all levels together. */
  maxEntries: number;
}

export const DEFAULT_LIMITS: InspectionLimits = Object.freeze({
  maxDepth: 3,
  maxRatio: 100,
  maxExpandedBytes: 4 * 1024 ** 3,
  maxEntries: 10_000,
});
