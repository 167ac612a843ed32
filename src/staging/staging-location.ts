/** A shared S3 staging location, from `AIRLOCK_STAGING=s3://bucket/prefix`. */
export interface S3StagingLocation {
  bucket: string;
  /** Key prefix without leading or trailing slashes; empty for the bucket's root. */
  prefix: string;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parses `s3://bucket` or `s3://bucket/some/prefix`; throws an Error whose message says what is wrong (the
 * caller names the variable). No SDK here: config loading must not pull in the S3 client.
 */
export function parseS3StagingLocation(value: string): S3StagingLocation {
  const match = /^s3:\/\/([^/?#]+)(?:\/([^?#]*))?$/.exec(value.trim());
  if (!match) throw new Error('must be s3://bucket or s3://bucket/prefix');
  const bucket = match[1]!;
  if (!BUCKET.test(bucket)) throw new Error(`"${bucket}" is not a valid S3 bucket name`);
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix !== '' && prefix.split('/').some((part) => part === '' || part === '.' || part === '..')) {
    throw new Error('its prefix must not hold empty, "." or ".." segments');
  }
  return { bucket, prefix };
}
