import { ListObjectsV2Command, type ListObjectsV2CommandInput, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';

/**
 * Makes `client`'s delimited listings page as S3 does. s3rver 3.7 counts only objects (`Contents`) against
 * `MaxKeys`, never common prefixes, so a listing of `<prefix>/<ticketId>/` folders always arrives in one page
 * there however small `MaxKeys` is. This asks s3rver for the whole listing and hands it out `MaxKeys` common
 * prefixes at a time, with a continuation token that is the last prefix given (a position in key order, as
 * S3's is, so deleting what was already listed does not shift later pages). Other requests pass through.
 */
export function pageCommonPrefixes(client: S3Client): { listings: ListObjectsV2CommandInput[]; restore(): void } {
  const original = client.send;
  const send = original.bind(client) as (command: unknown) => Promise<unknown>;
  const listings: ListObjectsV2CommandInput[] = [];
  client.send = (async (command: unknown) => {
    if (!(command instanceof ListObjectsV2Command) || command.input.Delimiter === undefined) return send(command);
    listings.push({ ...command.input });
    const { ContinuationToken, MaxKeys = 1000, ...rest } = command.input;
    const whole = (await send(new ListObjectsV2Command(rest))) as ListObjectsV2CommandOutput;
    if (whole.IsTruncated === true || (whole.Contents ?? []).length > 0) {
      throw new Error('pageCommonPrefixes pages listings of common prefixes only.');
    }
    const after = ContinuationToken === undefined ? '' : Buffer.from(ContinuationToken, 'base64url').toString('utf8');
    const remaining = (whole.CommonPrefixes ?? [])
      .filter((common) => common.Prefix! > after)
      .sort((a, b) => (a.Prefix! < b.Prefix! ? -1 : 1));
    const page = remaining.slice(0, MaxKeys);
    const truncated = remaining.length > page.length;
    return {
      ...whole,
      CommonPrefixes: page,
      KeyCount: page.length,
      MaxKeys,
      IsTruncated: truncated,
      NextContinuationToken: truncated ? Buffer.from(page.at(-1)!.Prefix!).toString('base64url') : undefined,
    } satisfies ListObjectsV2CommandOutput;
  }) as typeof client.send;
  return {
    listings,
    restore: () => {
      client.send = original;
    },
  };
}
