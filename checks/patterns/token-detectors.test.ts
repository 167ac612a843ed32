import { describe, expect, it } from 'vitest';
import type { Candidate } from './candidate.js';
import { expectMasked, scanFor } from './patterns.case.test.js';
import { createScanState, scanWindow } from './scan-window.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const awsBody = (length: number): string => Array.from({ length }, (_, i) => BASE32[(i * 11) % 32]).join('');
const alnum = (length: number): string => Array.from({ length }, (_, i) => 'aZ3kQ9xP'[i % 8]).join('');

describe('aws_access_key', () => {
  it.each([
    ['AKIA', 'aws-akia', `AKIA${awsBody(16)}`],
    ['ASIA', 'aws-asia', `ASIA${awsBody(16)}`],
  ])('recognises %s + 16 base32 characters as a critical finding', (_prefix, pattern, key) => {
    for (const text of [`aws_access_key_id = ${key}`, `{"AccessKeyId":"${key}"}`, `export AWS_ACCESS_KEY_ID=${key}\n`, `${key}`]) {
      const [finding, ...rest] = scanFor('aws_access_key', text);
      expect(rest).toEqual([]);
      expect(finding).toMatchObject({ severity: 'critical', excerpt: `${key.slice(0, 4)}[redacted]`, trace: { pattern } });
      expectMasked(finding!, key);
    }
  });

  it("reports AWS's documented example key with a low confidence", () => {
    const finding = scanFor('aws_access_key', 'AKIAIOSFODNN7EXAMPLE')[0]!;
    expect(finding.confidence).toBeLessThan(0.3);
    expect(finding.trace!.context).toContain('-documented-example');
  });

  it.each([
    ['AKIA and 15 characters', `AKIA${awsBody(15)}`],
    ['AKIA and 17 characters', `AKIA${awsBody(17)}`],
    ['characters outside base32', `AKIA${awsBody(12)}0189`],
    ['lower case', `akia${awsBody(16).toLowerCase()}`],
    ['a word character before it', `XAKIA${awsBody(16)}`],
    ['an underscore after it', `AKIA${awsBody(16)}_1`],
    ['another prefix', `AIDA${awsBody(16)}`],
  ])('does not report %s', (_case, text) => {
    expect(scanFor('aws_access_key', `key ${text} end`)).toEqual([]);
  });
});

describe('github_token', () => {
  it.each(['ghp', 'gho', 'ghu', 'ghs', 'ghr'])('recognises a classic %s_ token of 36 alphanumerics', (prefix) => {
    const token = `${prefix}_${alnum(36)}`;
    const [finding, ...rest] = scanFor('github_token', `token: ${token}\n`);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ severity: 'critical', excerpt: `${prefix}_[redacted]`, trace: { pattern: `github-${prefix}` } });
    expectMasked(finding!, token);
  });

  it('recognises a fine-grained github_pat_ token of 82 characters', () => {
    const token = `github_pat_${alnum(22)}_${alnum(59)}`;
    const [finding, ...rest] = scanFor('github_token', `GH_TOKEN="${token}"`);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ excerpt: 'github_pat_[redacted]', trace: { pattern: 'github-fine-grained' } });
    expectMasked(finding!, token);
  });

  it.each([
    ['35 characters', `ghp_${alnum(35)}`],
    ['37 characters', `ghp_${alnum(37)}`],
    ['an unknown kind', `ghx_${alnum(36)}`],
    ['a word character before it', `xghp_${alnum(36)}`],
    ['a fine-grained token one character short', `github_pat_${alnum(81)}`],
    ['a fine-grained token one character long', `github_pat_${alnum(83)}`],
    ['prose with gh in it', 'the night was high enough; ghosts of github_ past'],
  ])('does not report %s', (_case, text) => {
    expect(scanFor('github_token', `x ${text} x`)).toEqual([]);
  });
});

describe('github_token in underscore-heavy text', () => {
  it('searches by prefix for a while once underscores are dense, and finds the same tokens either way', () => {
    const token = `ghp_${alnum(36)}`;
    const snake = Buffer.from(`${'{"user_id":1,"event_name":"page_view"}\n'.repeat(100)}${token}\n`);
    const state = createScanState();
    const found: Candidate[] = [];
    scanWindow(snake, 0, snake.length, found, state);
    expect(state.githubByPrefix).toBeGreaterThan(0);
    scanWindow(snake, 0, snake.length, found, state);
    expect(found.map((candidate) => candidate.start)).toEqual([snake.indexOf(token), snake.indexOf(token)]);
  });

  it('finds every token once in snake_case logs and in the prose after them, whatever the chunking', () => {
    const classic = `ghp_${alnum(36)}`;
    const fineGrained = `github_pat_${alnum(22)}_${alnum(59)}`;
    const lines: string[] = [];
    let planted = 0;
    for (let i = 0; i < 12_000; i++) {
      const snake = i < 4000;
      lines.push(
        snake
          ? `{"request_id":"r_${i}","user_id":"u_${i}","duration_ms":${i},"event_name":"page_view"}`
          : `line ${i} of the quarterly review, nothing to see here`,
      );
      if (i % 300 === 7) {
        lines.push(i % 600 === 7 ? `token=${classic}` : `"${fineGrained}"`);
        planted++;
      }
    }
    const text = lines.join('\n');
    for (const chunkSize of [undefined, 1000, 65_536]) {
      expect(scanFor('github_token', text, { chunkSize }), `chunks of ${chunkSize ?? 'all'}`).toHaveLength(planted);
    }
  });
});

describe('slack_token', () => {
  it.each(['xoxb', 'xoxp', 'xoxa', 'xoxr', 'xoxs'])('recognises a %s- token', (prefix) => {
    const token = `${prefix}-123456789012-1234567890123-${alnum(24)}`;
    const [finding, ...rest] = scanFor('slack_token', `SLACK_TOKEN=${token}\n`);
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ severity: 'critical', excerpt: `${prefix}-[redacted]`, trace: { pattern: `slack-${prefix}` } });
    expectMasked(finding!, token);
  });

  it('recognises a legacy user token with three digit groups and a hex tail', () => {
    expect(scanFor('slack_token', 'xoxp-4206126024-4206126030-4251093618-17a2bd6d5e8f43c2a1b0c9d8e7f6a5b4')).toHaveLength(1);
  });

  it.each([
    ['an unknown kind', `xoxc-123456789012-${alnum(24)}`],
    ['no digit group', `xoxb-${alnum(24)}`],
    ['words instead of digits', 'xoxb-not-a-real-token-value'],
    ['a too short token', 'xoxb-1-abc'],
    ['a word character before it', `axoxb-123456789012-${alnum(24)}`],
  ])('does not report %s', (_case, text) => {
    expect(scanFor('slack_token', `x ${text} x`)).toEqual([]);
  });
});
