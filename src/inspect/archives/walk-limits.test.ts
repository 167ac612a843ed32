import { describe, expect, it } from 'vitest';
import { claimSize, gzipOf, markEncrypted, setMethod, tarOf, walkSample, zipOf } from './archive-samples.test-support.js';

const MiB = 1024 * 1024;
const zeros = (bytes: number) => Buffer.alloc(bytes);
const detectors = (walked: { findings: { detector: string }[] }) => walked.findings.map((f) => f.detector);

describe('walkContainer limits (on bytes produced, never on header claims)', () => {
  it('stops a member that expands past maxExpandedBytes and reports an archive bomb', async () => {
    const zip = await zipOf([
      { name: 'zeros.bin', data: zeros(4 * MiB) },
      { name: 'after.txt', data: 'after' },
    ]);
    const walked = await walkSample(zip, 'bomb.zip', 'zip', { limits: { maxExpandedBytes: MiB, maxRatio: 1e6 } });
    expect(walked.findings).toEqual([
      {
        check: 'filetype',
        detector: 'archive_bomb',
        severity: 'critical',
        confidence: 0.95,
        location: { entry: 'bomb.zip!/zeros.bin' },
        excerpt: `expanded past ${MiB} bytes`,
      },
    ]);
    expect(walked.expandedBytes).toBeLessThan(MiB + 256 * 1024);
    expect(walked.members.map((m) => m.entry)).toEqual(['bomb.zip!/zeros.bin']);
    expect(walked.members[0]?.text.length).toBeLessThan(MiB + 256 * 1024);
    expect(walked.skipped).toEqual([
      { entry: 'bomb.zip!/zeros.bin', reason: `inspected only in part: expanded past ${MiB} bytes` },
      { entry: 'bomb.zip', reason: `1 more members not inspected: expanded past ${MiB} bytes` },
    ]);
  });

  it('reports a bomb by ratio once a MiB has been expanded, but not a small highly compressible file', async () => {
    const bomb = await walkSample(await zipOf([{ name: 'zeros.bin', data: zeros(8 * MiB) }]), 'bomb.zip', 'zip');
    expect(bomb.findings).toMatchObject([{ detector: 'archive_bomb', excerpt: 'expanded more than 100 times the size of bomb.zip' }]);
    expect(bomb.expandedBytes).toBeLessThan(2 * MiB);

    const small = await walkSample(await zipOf([{ name: 'blank.txt', data: zeros(512 * 1024) }]), 'blank.zip', 'zip');
    expect(small).toMatchObject({ findings: [], skipped: [], expandedBytes: 512 * 1024 });
  });

  it('stops a gzip bomb and a tar.gz bomb', async () => {
    const gz = await walkSample(gzipOf(zeros(8 * MiB)), 'zeros.gz', 'gzip');
    expect(detectors(gz)).toEqual(['archive_bomb']);
    expect(gz.skipped).toEqual([{ entry: 'zeros.gz!/zeros', reason: expect.stringContaining('inspected only in part') }]);

    const tgz = await walkSample(
      gzipOf(
        await tarOf([
          { name: 'zeros.bin', data: zeros(8 * MiB) },
          { name: 'b', data: 'b' },
        ]),
      ),
      'z.tgz',
      'gzip',
    );
    expect(detectors(tgz)).toEqual(['archive_bomb']);
    expect(tgz.skipped.map((s) => s.entry)).toContain('z.tgz');
  });

  it('stops after maxEntries members, all levels together', async () => {
    const members = Array.from({ length: 20 }, (_, i) => ({ name: `f${i}.txt`, data: `${i}` }));
    const walked = await walkSample(await zipOf(members), 'many.zip', 'zip', { limits: { maxEntries: 5 } });
    expect(walked.membersVisited).toBe(5);
    expect(walked.findings).toMatchObject([{ detector: 'archive_bomb', location: { entry: 'many.zip' }, excerpt: 'more than 5 members' }]);
    expect(walked.skipped).toEqual([{ entry: 'many.zip', reason: '15 more members not inspected: more than 5 members' }]);
  });

  it('does not open a container nested past maxDepth, and goes on with its siblings', async () => {
    const level4 = await zipOf([{ name: 'core.txt', data: 'core' }]);
    const level3 = await zipOf([
      { name: 'l4.zip', data: level4 },
      { name: 'l3.txt', data: 'three' },
    ]);
    const level2 = await tarOf([{ name: 'l3.zip', data: level3 }]);
    const walked = await walkSample(await zipOf([{ name: 'l2.tar', data: level2 }]), 'l1.zip', 'zip');
    expect(walked.members.map((m) => m.entry)).toEqual(['l1.zip!/l2.tar!/l3.zip!/l3.txt']);
    expect(walked.findings).toMatchObject([
      { detector: 'archive_bomb', location: { entry: 'l1.zip!/l2.tar!/l3.zip!/l4.zip' }, excerpt: 'nested deeper than 3 levels' },
    ]);
    expect(walked.skipped).toEqual([{ entry: 'l1.zip!/l2.tar!/l3.zip!/l4.zip', reason: 'not opened: nested deeper than 3 levels' }]);
  });

  it('counts a .tar.gz as one nesting level', async () => {
    const tgz = gzipOf(await tarOf([{ name: 'a.txt', data: 'alpha' }]));
    const walked = await walkSample(await zipOf([{ name: 'l2.zip', data: await zipOf([{ name: 'l3.tgz', data: tgz }]) }]), 'l1.zip', 'zip');
    expect(walked.members.map((m) => m.entry)).toEqual(['l1.zip!/l2.zip!/l3.tgz!/a.txt']);
    expect(walked.findings).toEqual([]);
  });

  it('treats a member that inflates past its declared size as damage, whatever the header says', async () => {
    const zip = claimSize(await zipOf([{ name: 'liar.bin', data: zeros(MiB) }]), 'liar.bin', 100);
    const walked = await walkSample(zip, 'liar.zip', 'zip');
    expect(walked.findings).toMatchObject([{ detector: 'corrupt_file', location: { entry: 'liar.zip' } }]);
    expect(walked.skipped).toEqual([{ entry: 'liar.zip!/liar.bin', reason: 'not read to its end: the archive is damaged' }]);
    expect(walked.expandedBytes).toBeLessThan(MiB);
  });
});

describe('walkContainer on encrypted and damaged containers', () => {
  it('reports an encrypted member, skips it and inspects the others', async () => {
    const zip = markEncrypted(
      await zipOf([
        { name: 'plain.txt', data: 'plain' },
        { name: 'locked.txt', data: 'locked' },
      ]),
      'locked.txt',
    );
    const walked = await walkSample(zip, 'mixed.zip', 'zip');
    expect(walked.members.map((m) => m.entry)).toEqual(['mixed.zip!/plain.txt']);
    expect(walked.findings).toEqual([
      {
        check: 'filetype',
        detector: 'encrypted_archive',
        severity: 'high',
        confidence: 0.99,
        location: { entry: 'mixed.zip!/locked.txt' },
        excerpt: 'encrypted member',
      },
    ]);
    expect(walked.skipped).toEqual([{ entry: 'mixed.zip!/locked.txt', reason: 'encrypted' }]);
  });

  it('lists a member in a compression method it cannot read as skipped, and inspects the others', async () => {
    const zip = setMethod(
      await zipOf([
        { name: 'odd.bin', data: 'odd' },
        { name: 'b.txt', data: 'beta' },
      ]),
      'odd.bin',
      12,
    );
    const walked = await walkSample(zip, 'odd.zip', 'zip');
    expect(walked.members.map((m) => m.entry)).toEqual(['odd.zip!/b.txt']);
    expect(walked.skipped).toEqual([{ entry: 'odd.zip!/odd.bin', reason: 'compression method 12 is not supported' }]);
  });

  it('reports a truncated zip as damaged, without throwing', async () => {
    const zip = await zipOf([{ name: 'a.txt', data: 'alpha' }]);
    const walked = await walkSample(zip.subarray(0, zip.length - 10), 'cut.zip', 'zip');
    expect(walked.findings).toEqual([
      {
        check: 'filetype',
        detector: 'corrupt_file',
        severity: 'medium',
        confidence: 0.9,
        location: { entry: 'cut.zip' },
        excerpt: 'truncated or malformed',
      },
    ]);
    expect(walked.skipped).toEqual([{ entry: 'cut.zip', reason: 'not opened: its central directory is unreadable' }]);
  });

  it('reports a damaged nested zip against its own entry and goes on', async () => {
    const inner = await zipOf([{ name: 'a.txt', data: 'alpha' }]);
    const outer = await zipOf([
      { name: 'inner.zip', data: inner.subarray(0, 40) },
      { name: 'b.txt', data: 'beta' },
    ]);
    const walked = await walkSample(outer, 'outer.zip', 'zip');
    expect(walked.findings).toMatchObject([{ detector: 'corrupt_file', location: { entry: 'outer.zip!/inner.zip' } }]);
    expect(walked.members.map((m) => m.entry)).toEqual(['outer.zip!/b.txt']);
    expect(walked.leftovers).toEqual([]);
  });

  it('reports a member whose bytes do not match its CRC-32, having inspected it', async () => {
    const zip = await zipOf([{ name: 'a.txt', data: 'alpha', compress: false }]);
    const altered = Buffer.from(zip);
    altered.write('ALPHA', altered.indexOf('alpha'));
    const walked = await walkSample(altered, 'altered.zip', 'zip');
    expect(walked.members).toMatchObject([{ text: 'ALPHA' }]);
    expect(walked.findings).toMatchObject([{ detector: 'corrupt_file', location: { entry: 'altered.zip' }, excerpt: 'CRC-32 mismatch' }]);
  });

  it('reports a truncated gzip, having inspected what could be read', async () => {
    const text = Array.from({ length: 20_000 }, (_, i) => `line ${i}`).join('\n');
    const gz = gzipOf(text);
    const walked = await walkSample(gz.subarray(0, gz.length - 100), 'log.gz', 'gzip');
    expect(walked.findings).toMatchObject([
      { detector: 'corrupt_file', location: { entry: 'log.gz' }, excerpt: 'unreadable data (Z_BUF_ERROR)' },
    ]);
    expect(walked.skipped).toEqual([{ entry: 'log.gz!/log', reason: 'not read to its end: the archive is damaged' }]);
    expect(walked.members[0]?.text.startsWith('line 0\nline 1\n')).toBe(true);
  });

  it('reports a gzip whose trailer checksum is wrong', async () => {
    const gz = gzipOf('hello');
    gz.writeUInt8(gz.readUInt8(gz.length - 8) ^ 0xff, gz.length - 8);
    expect(detectors(await walkSample(gz, 'x.gz', 'gzip'))).toEqual(['corrupt_file']);
  });

  it('reports a tar cut inside a member, and one with a broken header checksum', async () => {
    const bytes = await tarOf([
      { name: 'a.txt', data: 'alpha' },
      { name: 'b.txt', data: 'b'.repeat(4096) },
    ]);
    const cut = await walkSample(bytes.subarray(0, 1024 + 512 + 100), 'cut.tar', 'tar');
    expect(cut.findings).toMatchObject([{ detector: 'corrupt_file', location: { entry: 'cut.tar' } }]);
    expect(cut.members.map((m) => m.entry)).toEqual(['cut.tar!/a.txt', 'cut.tar!/b.txt']);
    expect(cut.skipped).toContainEqual({ entry: 'cut.tar!/b.txt', reason: 'not read to its end: the archive is damaged' });

    const broken = Buffer.from(bytes);
    broken.write('B', 1024); // the second header's name; its checksum no longer matches
    const walked = await walkSample(broken, 'broken.tar', 'tar');
    expect(walked.members.map((m) => m.entry)).toEqual(['broken.tar!/a.txt']);
    expect(walked.findings).toMatchObject([{ detector: 'corrupt_file', location: { entry: 'broken.tar' } }]);
    expect(walked.skipped).toEqual([{ entry: 'broken.tar', reason: 'members after the damage not inspected' }]);
  });
});
