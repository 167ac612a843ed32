// Test data for the transfer benchmark: lower-case prose from a fixed word list, chosen by a seeded PRNG.
// No digits (so nothing looks like a card number, IBAN or SSN), no capitals (so no classification
// marking or key prefix), no `@` (no e-mail), no binary header: every file passes the default policy
// with all checks on, so both tools move exactly the same bytes. Not a corpus for the detectors.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const WORDS = (
  'the of and to in is was for on are with as his they be at one have this from by hot word but what some ' +
  'other were all there when up use your how said an each she which do their time if will way about many then ' +
  'them write would like so these her long make thing see him two has look more day could go come did number ' +
  'sound no most people my over know water than call first who may down side been now find any new work part ' +
  'take get place made live where after back little only round man year came show every good me give our under ' +
  'name very through just form sentence great think say help low line differ turn cause much mean before move ' +
  'right boy old too same tell does set three want air well also play small end put home read hand port large ' +
  'spell add even land here must big high such follow act why ask men change went light kind off need house ' +
  'picture try us again animal point mother world near build self earth father head stand own page should ' +
  'country found answer school grow study still learn plant cover food sun four between state keep eye never ' +
  'last let thought city tree cross farm hard start might story saw far sea draw left late run while press ' +
  'close night real life few north open seem together next white children begin got walk example ease paper ' +
  'group always music those both mark often letter until mile river car feet care second book carry took ' +
  'science eat room friend began idea fish mountain stop once base hear horse cut sure watch color face wood'
)
  .split(' ')
  .map((word) => Buffer.from(word, 'latin1'));

/** xorshift32: fast, seeded, plenty for text that should not repeat. */
function prng(seed: number): () => number {
  let state = seed >>> 0 || 0x9e3779b9;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
}

/**
 * A text generator: `fill(buffer)` writes the next `buffer.length` bytes of an endless stream of lines
 * (10 to 17 words each). The stream depends on `seed` only, not on how it is cut into buffers.
 */
export function textSource(seed: number): { fill(buffer: Buffer): void } {
  const next = prng(seed);
  let pending: Buffer = Buffer.alloc(0);
  let wordsLeft = 0;
  const nextToken = (): Buffer => {
    if (wordsLeft === 0) wordsLeft = 10 + (next() % 8);
    wordsLeft--;
    const word = WORDS[next() % WORDS.length] as Buffer;
    const out = Buffer.allocUnsafe(word.length + 1);
    word.copy(out);
    out[word.length] = wordsLeft === 0 ? 0x0a : 0x20;
    return out;
  };
  return {
    fill(buffer: Buffer): void {
      let at = 0;
      if (pending.length > 0) {
        const n = pending.copy(buffer, 0);
        pending = pending.subarray(n);
        at = n;
      }
      while (at < buffer.length) {
        const token = nextToken();
        const n = token.copy(buffer, at);
        at += n;
        if (n < token.length) pending = token.subarray(n);
      }
    },
  };
}

/** `size` bytes of text for `seed`, with their SHA-256 (hex). */
export function textBuffer(seed: number, size: number): { data: Buffer; sha256: string } {
  const data = Buffer.allocUnsafe(size);
  textSource(seed).fill(data);
  return { data, sha256: createHash('sha256').update(data).digest('hex') };
}

/**
 * A readable stream of `size` bytes of text for `seed`, in `chunkBytes` pieces; `digest()` gives the
 * SHA-256 (hex) of what was read, once the stream ended.
 */
export function textStream(seed: number, size: number, chunkBytes = 8 * 1024 * 1024): { stream: Readable; digest(): string } {
  const source = textSource(seed);
  const hash = createHash('sha256');
  let left = size;
  let digest: string | undefined;
  const stream = new Readable({
    read() {
      if (left === 0) {
        digest = hash.digest('hex');
        this.push(null);
        return;
      }
      const chunk = Buffer.allocUnsafe(Math.min(chunkBytes, left));
      source.fill(chunk);
      hash.update(chunk);
      left -= chunk.length;
      this.push(chunk);
    },
  });
  return {
    stream,
    digest: () => {
      if (digest === undefined) throw new Error('textStream: digest() before the stream ended');
      return digest;
    },
  };
}
