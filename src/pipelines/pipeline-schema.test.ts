import { describe, expect, it } from 'vitest';
import { cronProblem, pipelineSchema } from './pipeline-schema.js';

const base = {
  name: 'p',
  source: { kind: 'local', root: 'in' },
  destination: { kind: 'local', root: 'out' },
  policy: 'default',
  trigger: { manual: true },
};

/** `field: message` for each issue, or [] when valid. */
function problems(overrides: Record<string, unknown>): string[] {
  const result = pipelineSchema.safeParse({ ...base, ...overrides });
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('pipelineSchema', () => {
  it('fills defaults: all-or-nothing delivery, no approvers, every check, names shown', () => {
    expect(pipelineSchema.parse(base)).toMatchObject({
      delivery: 'all-or-nothing',
      approvers: [],
      checks: ['filetype', 'patterns', 'dlp'],
      redactNames: false,
      selector: {},
    });
  });

  it('normalises a schedule trigger, defaulting the time zone to UTC', () => {
    expect(pipelineSchema.parse({ ...base, trigger: { schedule: { cron: '0 2 * * *', timezone: 'Europe/Berlin' } } }).trigger).toEqual({
      kind: 'schedule',
      cron: '0 2 * * *',
      timezone: 'Europe/Berlin',
      catchUp: 'none',
    });
    expect(
      pipelineSchema.parse({ ...base, trigger: { schedule: { cron: '*/15 8-18 * * mon-fri', catchUp: 'once' } } }).trigger,
    ).toMatchObject({
      timezone: 'UTC',
      catchUp: 'once',
    });
  });

  it('names a catch-up policy it does not know', () => {
    expect(problems({ trigger: { schedule: { cron: '0 2 * * *', catchUp: 'all' } } })).toEqual([
      'trigger.schedule.catchUp: Invalid option: expected one of "none"|"once"',
    ]);
  });

  it('refuses an unknown time zone and a cron without 5 fields', () => {
    expect(problems({ trigger: { schedule: { cron: '0 2 * *', timezone: 'Mars/Olympus' } } })).toEqual([
      'trigger.schedule.cron: must have 5 fields (minute hour day-of-month month day-of-week), found 4',
      'trigger.schedule.timezone: must be an IANA time zone such as "Europe/Berlin" or "UTC"',
    ]);
  });

  it('wants exactly one of manual or schedule', () => {
    expect(problems({ trigger: {} })).toEqual(['trigger: must be either { manual: true } or { schedule: { cron, timezone, catchUp } }']);
    expect(problems({ trigger: { manual: true, schedule: { cron: '0 2 * * *' } } })).toHaveLength(1);
    expect(problems({ trigger: { manual: false } })).toHaveLength(1);
  });

  it('refuses a name or policy that is not a lower-case slug', () => {
    expect(problems({ name: 'My Pipeline', policy: '../etc/passwd' }).map((p) => p.split(':')[0])).toEqual(['name', 'policy']);
  });

  it('refuses a selector prefix that leaves the source root', () => {
    expect(problems({ source: { kind: 'local', root: 'in', prefix: '../up' } })).toEqual([
      'source.prefix: must be a relative path inside the source root, without ".."',
    ]);
    expect(problems({ source: { kind: 'local', root: 'in', prefix: '/abs' } })).toHaveLength(1);
  });

  it('refuses selector keys on the destination', () => {
    expect(problems({ source: { kind: 'local', root: 'in', include: ['/abs/*.csv', 'a/[z-a].txt'] } })).toEqual([
      'source.include.0: glob "/abs/*.csv" must be a non-empty path relative to the root.',
      'source.include.1: glob "a/[z-a].txt" is malformed; check its [...] ranges.',
    ]);
    expect(problems({ destination: { kind: 'local', root: 'out', include: ['*'] } })).toEqual([
      'destination.include: only applies to the source (it selects what is fetched)',
    ]);
  });

  it('refuses inline credentials at any depth, also when other settings are wrong', () => {
    expect(problems({ source: { kind: 'S3', buckets: [{ secretAccessKey: 'abc' }], auth: { token: 42 } } })).toEqual([
      'source.kind: must be a connector kind such as "local", "s3" or "sftp"',
      'source.buckets.0.secretAccessKey: must be a ${env:…} or ${file:…} reference, not an inline secret',
      'source.auth.token: must be a ${env:…} or ${file:…} reference, not an inline secret',
    ]);
  });

  it('needs at least one check, each once', () => {
    expect(problems({ checks: [] })).toEqual(['checks: must list at least one check; items that are not inspected cannot be judged']);
    expect(problems({ checks: ['filetype', 'filetype'] })).toEqual(['checks: lists a check more than once']);
  });

  it('validates approvers', () => {
    expect(pipelineSchema.parse({ ...base, approvers: [{ name: 'alice', email: 'alice@example.com' }] }).approvers).toHaveLength(1);
    expect(problems({ approvers: [{ name: 'bob', email: 'not-an-email', role: 'x' }] }).map((p) => p.split(':')[0])).toEqual([
      'approvers.0.email',
      'approvers.0',
    ]);
  });

  it('has no quarantine unless asked: blocked data is purged', () => {
    expect(pipelineSchema.parse(base).quarantine).toBeUndefined();
  });

  it('takes a quarantine of 1 to 365 days with a release destination passed through like destination', () => {
    const releaseTo = { kind: 's3', bucket: 'quarantine-release', secretAccessKey: '${env:RELEASE_KEY}' };
    expect(pipelineSchema.parse({ ...base, quarantine: { days: 30, releaseTo } }).quarantine).toEqual({ days: 30, releaseTo });
    expect(problems({ quarantine: { days: 1, releaseTo } })).toEqual([]);
    expect(problems({ quarantine: { days: 365, releaseTo } })).toEqual([]);
    for (const days of [0, 366, 1.5, '7'])
      expect(problems({ quarantine: { days, releaseTo } }).map((p) => p.split(':')[0])).toEqual(['quarantine.days']);
  });

  it('checks quarantine.releaseTo as it checks destination: inline secrets, selector keys, kind, presence', () => {
    expect(problems({ quarantine: { days: 7, releaseTo: { kind: 'sftp', host: 'h', password: 'hunter2', include: ['*'] } } })).toEqual([
      'quarantine.releaseTo.include: only applies to the source (it selects what is fetched)',
      'quarantine.releaseTo.password: must be a ${env:…} or ${file:…} reference, not an inline secret',
    ]);
    expect(problems({ quarantine: { days: 7, releaseTo: { kind: 'Local' } } })).toEqual([
      'quarantine.releaseTo.kind: must be a connector kind such as "local", "s3" or "sftp"',
    ]);
    expect(problems({ quarantine: { days: 7 } }).map((p) => p.split(':')[0])).toEqual(['quarantine.releaseTo']);
    expect(problems({ quarantine: { days: 7, releaseTo: { kind: 'local', root: 'q' }, keepForever: true } })).toHaveLength(1);
  });
});

describe('cronProblem', () => {
  it.each(['* * * * *', '0 2 * * *', '*/5 0-6,22-23 1,15 jan-mar 1-5', '30 4 1 * sun', '0 0 * * 7'])('accepts %s', (cron) => {
    expect(cronProblem(cron)).toBeUndefined();
  });

  it.each([
    ['60 * * * *', 'minute'],
    ['* 24 * * *', 'hour'],
    ['* * 0 * *', 'day of month'],
    ['* * * 13 *', 'month'],
    ['* * * * 8', 'day of week'],
    ['*/0 * * * *', 'minute'],
    ['a * * * *', 'minute'],
    ['1-2-3 * * * *', 'minute'],
  ])('refuses %s naming the %s field', (cron, field) => {
    expect(cronProblem(cron)).toContain(`invalid ${field} field`);
  });

  it('counts fields', () => {
    expect(cronProblem('0 2 * * * *')).toContain('found 6');
  });
});
