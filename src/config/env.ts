import path from 'node:path';
import { z } from 'zod';
import { SIEM_FORMATS, type SiemConfig } from '../audit/siem-config.js';
import { DEFAULT_ROLES_CLAIM, DEFAULT_USERNAME_CLAIM, jwksUrlSchema, parseRoleMap, type OidcConfig } from '../auth/oidc-config.js';
import { DEFAULT_OIDC_SCOPES, endpointUrlSchema, scopesSchema, splitScopes, type OidcLoginConfig } from '../auth/oidc-login-config.js';
import { AirlockError } from '../errors.js';
import { isSecretRef } from './secret-ref.js';
import type { InspectionLimits } from '../inspect/inspection-limits.js';
import {
  DEFAULT_MAIL_FROM,
  mailConfig,
  mailFromSchema,
  messageIdDomainSchema,
  smtpUrlSchema,
  type MailConfig,
} from '../notify/mail-config.js';
import { parseS3StagingLocation, type S3StagingLocation } from '../staging/staging-location.js';

/** Every environment variable Airlock reads, with its default. The README's configuration table mirrors this. */
const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL')
    .optional(),
  AIRLOCK_DATA_DIR: z.string().min(1).default('./.airlock'),
  AIRLOCK_STAGING_DIR: z.string().min(1).optional(),
  AIRLOCK_STAGING: z
    .string()
    .min(1)
    .transform((value, ctx) => {
      try {
        return parseS3StagingLocation(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
  AIRLOCK_PIPELINES_DIR: z.string().min(1).default('./pipelines'),
  AIRLOCK_POLICIES_DIR: z.string().min(1).default('./policies'),
  AIRLOCK_CHECK_TIMEOUT_MS: z.coerce.number().int().positive().default(60_000),
  AIRLOCK_MASTER_KEY: z.string().min(1).optional(),
  AIRLOCK_MASTER_KEY_FILE: z.string().min(1).optional(),
  AIRLOCK_AUDIT_KEY: z.string().min(1).optional(),
  AIRLOCK_AUDIT_KEY_FILE: z.string().min(1).optional(),
  AIRLOCK_AUDIT_CHECKPOINT_FILE: z.string().min(1).optional(),
  AIRLOCK_SIEM_URL: z
    .url({ protocol: /^https?$/, error: 'must be the http(s) address of the SIEM collector' })
    .refine((url) => !/^https?:\/\/[^/?#]*@/i.test(url), 'must not hold credentials; put the token in AIRLOCK_SIEM_TOKEN')
    .optional(),
  AIRLOCK_SIEM_FORMAT: z.enum(SIEM_FORMATS).default('splunk-hec'),
  AIRLOCK_SIEM_TOKEN: z.string().min(1).optional(),
  AIRLOCK_ITEM_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  AIRLOCK_JOB_RETRIES: z.coerce.number().int().min(0).max(20).default(3),
  AIRLOCK_JOB_RETRY_DELAY_S: z.coerce.number().int().min(1).default(5),
  AIRLOCK_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  AIRLOCK_JOB_HEARTBEAT_SECONDS: z.coerce.number().int().min(10).max(3600).default(30),
  AIRLOCK_QUEUE_SUPERVISE_SECONDS: z.coerce.number().int().min(1).max(600).default(30),
  AIRLOCK_SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  AIRLOCK_SCHEDULE_CHECK_SECONDS: z.coerce.number().int().min(1).max(45).default(30),
  AIRLOCK_ARCHIVE_MAX_DEPTH: z.coerce.number().int().min(0).max(10).default(3),
  AIRLOCK_ARCHIVE_MAX_RATIO: z.coerce.number().positive().default(100),
  AIRLOCK_ARCHIVE_MAX_EXPANDED_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(4 * 1024 ** 3),
  AIRLOCK_ARCHIVE_MAX_ENTRIES: z.coerce.number().int().positive().default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: z.coerce.number().int().min(1).max(65535).default(8080),
  HOST: z.string().default('127.0.0.1'),
  AIRLOCK_ESCALATION_SLA_MINUTES: z.coerce.number().int().min(1).max(100_000).default(240),
  AIRLOCK_TOKEN_CACHE_SECONDS: z.coerce.number().int().min(0).max(300).default(10),
  AIRLOCK_PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'must be the http(s) address people reach `airlock serve` at' })
    .default('http://127.0.0.1:8080'),
  SMTP_URL: smtpUrlSchema.optional(),
  MAIL_FROM: mailFromSchema.default(DEFAULT_MAIL_FROM),
  MAIL_MESSAGE_ID_DOMAIN: messageIdDomainSchema.optional(),
  AIRLOCK_OIDC_JWKS_URL: jwksUrlSchema.optional(),
  AIRLOCK_OIDC_ISSUER: z.string().min(1).optional(),
  AIRLOCK_OIDC_AUDIENCE: z.string().min(1).optional(),
  AIRLOCK_OIDC_ROLES_CLAIM: z.string().min(1).optional(),
  AIRLOCK_OIDC_USERNAME_CLAIM: z.string().min(1).optional(),
  AIRLOCK_OIDC_ROLE_MAP: z
    .string()
    .min(1)
    .transform((value, ctx) => {
      try {
        return parseRoleMap(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    })
    .optional(),
  AIRLOCK_OIDC_AUTHORIZATION_URL: endpointUrlSchema.optional(),
  AIRLOCK_OIDC_TOKEN_URL: endpointUrlSchema.optional(),
  AIRLOCK_OIDC_CLIENT_ID: z.string().min(1).optional(),
  // The value may be the secret itself, so messages here never show it.
  AIRLOCK_OIDC_CLIENT_SECRET: z
    .string()
    .min(1)
    .refine((value) => !value.startsWith('${') || isSecretRef(value), {
      error: 'starts like a secret reference but is not one; write ${env:NAME} or ${file:/path/to/secret}',
    })
    .optional(),
  AIRLOCK_OIDC_SCOPES: z.string().min(1).transform(splitScopes).pipe(scopesSchema).optional(),
});

/** Sign-in with OIDC needs these three together; the other AIRLOCK_OIDC_* variables only refine it. */
const OIDC_REQUIRED = ['AIRLOCK_OIDC_JWKS_URL', 'AIRLOCK_OIDC_ISSUER', 'AIRLOCK_OIDC_AUDIENCE'] as const;
/** Browser sign-in needs these two on top; the other variables of the list only refine it. */
const OIDC_LOGIN_REQUIRED = ['AIRLOCK_OIDC_AUTHORIZATION_URL', 'AIRLOCK_OIDC_TOKEN_URL'] as const;
const OIDC_LOGIN_VARIABLES = [
  ...OIDC_LOGIN_REQUIRED,
  'AIRLOCK_OIDC_CLIENT_ID',
  'AIRLOCK_OIDC_CLIENT_SECRET',
  'AIRLOCK_OIDC_SCOPES',
] as const;
const OIDC_VARIABLES = [
  ...OIDC_REQUIRED,
  'AIRLOCK_OIDC_ROLES_CLAIM',
  'AIRLOCK_OIDC_USERNAME_CLAIM',
  'AIRLOCK_OIDC_ROLE_MAP',
  ...OIDC_LOGIN_VARIABLES,
] as const;

/** The rules across variables. */
const checkedEnvSchema = envSchema.superRefine(
  (e, ctx) => {
    // Splunk's HTTP Event Collector refuses every event without its token.
    if (e.AIRLOCK_SIEM_URL !== undefined && e.AIRLOCK_SIEM_FORMAT === 'splunk-hec' && e.AIRLOCK_SIEM_TOKEN === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['AIRLOCK_SIEM_TOKEN'],
        message: 'must be set when AIRLOCK_SIEM_FORMAT is splunk-hec (the HEC token)',
      });
    // All or nothing: half an OIDC setup would quietly leave sign-in to API tokens alone.
    const given = OIDC_VARIABLES.find((name) => e[name] !== undefined);
    if (given === undefined) return;
    for (const name of OIDC_REQUIRED) {
      if (e[name] === undefined)
        ctx.addIssue({ code: 'custom', path: [name], message: `must be set when ${given} is (OIDC needs ${OIDC_REQUIRED.join(', ')})` });
    }
    // Likewise for browser sign-in: a client id without endpoints would leave the console without a way in.
    const loginGiven = OIDC_LOGIN_VARIABLES.find((name) => e[name] !== undefined);
    if (loginGiven === undefined) return;
    for (const name of OIDC_LOGIN_REQUIRED) {
      if (e[name] === undefined)
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `must be set when ${loginGiven} is (browser sign-in needs ${OIDC_LOGIN_REQUIRED.join(', ')})`,
        });
    }
  },
  // Run even when other variables are invalid, so that every problem is listed at once.
  { when: () => true },
);

export interface AirlockConfig {
  /** PostgreSQL connection string; absent means the embedded PGlite store under `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly stagingDir: string;
  /** Shared S3 staging (`AIRLOCK_STAGING=s3://bucket/prefix`); absent means the local `stagingDir`. */
  readonly stagingS3: S3StagingLocation | undefined;
  readonly pipelinesDir: string;
  readonly policiesDir: string;
  readonly checkTimeoutMs: number;
  /** Bounds on opening archives and documents during inspection. */
  readonly limits: InspectionLimits;
  /** Base64 of the 32-byte key wrapping each ticket's staging key (from AIRLOCK_MASTER_KEY); never logged. */
  readonly masterKey: string | undefined;
  readonly masterKeyFile: string | undefined;
  /** Base64 key signing audit records (AIRLOCK_AUDIT_KEY); never logged. Absent: derived from the master key. */
  readonly auditKey: string | undefined;
  readonly auditKeyFile: string | undefined;
  /** Where checkpoints of the audit log's head are appended, outside the database (AIRLOCK_AUDIT_CHECKPOINT_FILE). */
  readonly auditCheckpointFile: string;
  /** Where the audit log is pushed (AIRLOCK_SIEM_URL, _FORMAT, _TOKEN); absent means no pushing. The token is never logged. */
  readonly siem: SiemConfig | undefined;
  readonly itemConcurrency: number;
  readonly jobRetries: number;
  readonly jobRetryDelaySeconds: number;
  readonly workerConcurrency: number;
  /** A running job whose worker has not signalled life for this long (killed, frozen) is handed to another worker. */
  readonly jobHeartbeatSeconds: number;
  /** How often lapsed heartbeats and expired jobs are looked for. */
  readonly queueSuperviseSeconds: number;
  /** On SIGTERM, how long running tickets may finish before they are handed back to the queue. */
  readonly shutdownGraceSeconds: number;
  /** How often pipeline schedules are checked for due occurrences. */
  readonly scheduleCheckSeconds: number;
  readonly logLevel: string;
  readonly port: number;
  readonly host: string;
  /** Sign-in with OIDC bearer tokens (AIRLOCK_OIDC_*); absent means API tokens only. */
  readonly oidc: OidcConfig | undefined;
  /**
   * Browser sign-in to the console with the authorization code flow and PKCE (AIRLOCK_OIDC_AUTHORIZATION_URL,
   * _TOKEN_URL, _CLIENT_ID, _CLIENT_SECRET, _SCOPES); absent means none. Set only together with `oidc`.
   */
  readonly oidcLogin: OidcLoginConfig | undefined;
  /** How long an operator has to pick up an escalated ticket. */
  readonly escalationSlaMinutes: number;
  /** Outgoing mail (SMTP_URL, MAIL_FROM, MAIL_MESSAGE_ID_DOMAIN); without SMTP_URL mails stay in the local outbox. */
  readonly mail: MailConfig;
  /** How long `serve` remembers a verified API token (a revocation elsewhere takes effect within it). */
  readonly tokenCacheSeconds: number;
  /** Where people reach `airlock serve`: the base of the links in mails. */
  readonly publicUrl: string;
}

/** Parses the environment once; every problem is listed in one error naming the variables. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): AirlockConfig {
  const parsed = checkedEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new AirlockError('invalid_input', `Invalid environment: ${problems.join('; ')}.`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(cwd, e.AIRLOCK_DATA_DIR);
  return Object.freeze({
    databaseUrl: e.DATABASE_URL,
    dataDir,
    stagingDir: path.resolve(cwd, e.AIRLOCK_STAGING_DIR ?? path.join(dataDir, 'staging')),
    stagingS3: e.AIRLOCK_STAGING === undefined ? undefined : Object.freeze(e.AIRLOCK_STAGING),
    pipelinesDir: path.resolve(cwd, e.AIRLOCK_PIPELINES_DIR),
    policiesDir: path.resolve(cwd, e.AIRLOCK_POLICIES_DIR),
    checkTimeoutMs: e.AIRLOCK_CHECK_TIMEOUT_MS,
    limits: Object.freeze({
      maxDepth: e.AIRLOCK_ARCHIVE_MAX_DEPTH,
      maxRatio: e.AIRLOCK_ARCHIVE_MAX_RATIO,
      maxExpandedBytes: e.AIRLOCK_ARCHIVE_MAX_EXPANDED_BYTES,
      maxEntries: e.AIRLOCK_ARCHIVE_MAX_ENTRIES,
    }),
    masterKey: e.AIRLOCK_MASTER_KEY,
    masterKeyFile: e.AIRLOCK_MASTER_KEY_FILE === undefined ? undefined : path.resolve(cwd, e.AIRLOCK_MASTER_KEY_FILE),
    auditKey: e.AIRLOCK_AUDIT_KEY,
    auditKeyFile: e.AIRLOCK_AUDIT_KEY_FILE === undefined ? undefined : path.resolve(cwd, e.AIRLOCK_AUDIT_KEY_FILE),
    auditCheckpointFile: path.resolve(cwd, e.AIRLOCK_AUDIT_CHECKPOINT_FILE ?? path.join(dataDir, 'audit-checkpoints.jsonl')),
    siem:
      e.AIRLOCK_SIEM_URL === undefined
        ? undefined
        : Object.freeze({ url: e.AIRLOCK_SIEM_URL, format: e.AIRLOCK_SIEM_FORMAT, token: e.AIRLOCK_SIEM_TOKEN }),
    itemConcurrency: e.AIRLOCK_ITEM_CONCURRENCY,
    jobRetries: e.AIRLOCK_JOB_RETRIES,
    jobRetryDelaySeconds: e.AIRLOCK_JOB_RETRY_DELAY_S,
    workerConcurrency: e.AIRLOCK_WORKER_CONCURRENCY,
    jobHeartbeatSeconds: e.AIRLOCK_JOB_HEARTBEAT_SECONDS,
    queueSuperviseSeconds: e.AIRLOCK_QUEUE_SUPERVISE_SECONDS,
    shutdownGraceSeconds: e.AIRLOCK_SHUTDOWN_GRACE_SECONDS,
    scheduleCheckSeconds: e.AIRLOCK_SCHEDULE_CHECK_SECONDS,
    logLevel: e.LOG_LEVEL,
    port: e.PORT,
    host: e.HOST,
    oidc: oidcConfig(e),
    oidcLogin: oidcLoginConfig(e),
    escalationSlaMinutes: e.AIRLOCK_ESCALATION_SLA_MINUTES,
    mail: mailConfig(e.SMTP_URL, e.MAIL_FROM, e.MAIL_MESSAGE_ID_DOMAIN),
    tokenCacheSeconds: e.AIRLOCK_TOKEN_CACHE_SECONDS,
    publicUrl: e.AIRLOCK_PUBLIC_URL,
  });
}

function oidcConfig(e: z.output<typeof envSchema>): OidcConfig | undefined {
  // The refinement guarantees issuer and audience whenever the URL is set.
  if (e.AIRLOCK_OIDC_JWKS_URL === undefined || e.AIRLOCK_OIDC_ISSUER === undefined || e.AIRLOCK_OIDC_AUDIENCE === undefined)
    return undefined;
  return Object.freeze({
    jwksUrl: e.AIRLOCK_OIDC_JWKS_URL,
    issuer: e.AIRLOCK_OIDC_ISSUER,
    audience: e.AIRLOCK_OIDC_AUDIENCE,
    rolesClaim: e.AIRLOCK_OIDC_ROLES_CLAIM ?? DEFAULT_ROLES_CLAIM,
    usernameClaim: e.AIRLOCK_OIDC_USERNAME_CLAIM ?? DEFAULT_USERNAME_CLAIM,
    ...(e.AIRLOCK_OIDC_ROLE_MAP === undefined ? {} : { roleMap: Object.freeze(e.AIRLOCK_OIDC_ROLE_MAP) }),
  });
}

function oidcLoginConfig(e: z.output<typeof envSchema>): OidcLoginConfig | undefined {
  // The refinement guarantees both endpoints and the audience whenever either endpoint is set.
  if (e.AIRLOCK_OIDC_AUTHORIZATION_URL === undefined || e.AIRLOCK_OIDC_TOKEN_URL === undefined || e.AIRLOCK_OIDC_AUDIENCE === undefined)
    return undefined;
  return Object.freeze({
    authorizationUrl: e.AIRLOCK_OIDC_AUTHORIZATION_URL,
    tokenUrl: e.AIRLOCK_OIDC_TOKEN_URL,
    clientId: e.AIRLOCK_OIDC_CLIENT_ID ?? e.AIRLOCK_OIDC_AUDIENCE,
    ...(e.AIRLOCK_OIDC_CLIENT_SECRET === undefined ? {} : { clientSecret: e.AIRLOCK_OIDC_CLIENT_SECRET }),
    scopes: Object.freeze(e.AIRLOCK_OIDC_SCOPES ?? [...DEFAULT_OIDC_SCOPES]),
  });
}
