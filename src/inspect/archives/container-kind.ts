/** The container formats the walker opens. docx/xlsx/pptx/odt are zips and are opened as such. */
export type ContainerKind = 'zip' | 'tar' | 'gzip';

/** How many leading bytes `containerKindOf` needs: tar's magic sits at offset 257. */
export const CONTAINER_HEAD_BYTES = 512;

/**
 * Names a container by its magic bytes, never by its name: a local file header or an empty archive's
 * end record (`PK\x03\x04`, `PK\x05\x06`), the gzip magic (`1f 8b`), or `ustar` at offset 257 (POSIX and
 * GNU tar; pre-POSIX v7 tars carry no magic and are treated as plain files).
 */
export function containerKindOf(head: Uint8Array): ContainerKind | undefined {
  if (head[0] === 0x50 && head[1] === 0x4b && ((head[2] === 0x03 && head[3] === 0x04) || (head[2] === 0x05 && head[3] === 0x06))) {
    return 'zip';
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 262 && Buffer.from(head.buffer, head.byteOffset + 257, 5).toString('latin1') === 'ustar') return 'tar';
  return undefined;
}
