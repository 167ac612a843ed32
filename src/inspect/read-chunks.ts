import { open } from 'node:fs/promises';

/**
 * Reads a file front to back into two buffers used in turn, reading the next chunk while the caller
 * works on the current one. Nothing is allocated per chunk, which keeps the garbage collector out of the
 * hot path and memory flat however large the file. Each yielded chunk is valid until the next step.
 */
export async function* readChunks(file: string, chunkSize: number): AsyncGenerator<Buffer> {
  const handle = await open(file, 'r');
  const buffers = [Buffer.allocUnsafeSlow(chunkSize), Buffer.allocUnsafeSlow(chunkSize)];
  let turn = 0;
  let pending: Promise<{ bytesRead: number }> | undefined = handle.read(buffers[0]!, 0, chunkSize, null);
  try {
    for (;;) {
      const { bytesRead } = await pending;
      pending = undefined;
      if (bytesRead === 0) return;
      const current = buffers[turn]!;
      turn ^= 1;
      // The next read goes into the other buffer while the caller processes this one.
      pending = handle.read(buffers[turn]!, 0, chunkSize, null);
      yield current.subarray(0, bytesRead);
    }
  } finally {
    // Stopped early (an abort, a failing check): let the read in flight land before closing.
    await pending?.catch(() => undefined);
    await handle.close();
  }
}
