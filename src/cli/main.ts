import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AirlockError, coerceError } from '../errors.js';
import { createCliContext, UsageError, type CliContext } from './cli-context.js';
import { ticketCommand, ticketsCommand } from './commands/tickets.js';
import { AIRLOCK_VERSION } from './version.js';

const USAGE = `Usage: airlock <command> [options]

Commands:
  run <pipeline> [--requester NAME] [--purpose TEXT] [--json]
                          submit a ticket for a pipeline and process it in the foreground
  tickets [--state STATE] [--sla-breached] [--json]
                          list tickets, newest first
  ticket <id> [--json]    show a ticket: items, findings, decision and events (id: T-000123)
  serve [--port N] [--host H]
                          the HTTP API plus ticket workers and schedules
  worker [--concurrency N]
                          ticket workers and schedules without HTTP (add processes to scale out)
  schedules [--json]      list scheduled pipelines with their next and last runs
  reload                  make the schedules match the pipeline files (running processes: SIGHUP)
  validate                check every pipeline and the policies they use
  scan <path>... [--policy FILE] [--json] [--fail-on review|block] [--trace] [--jobs N]
                          inspect files or folders and print each file's findings and verdict
  policy test <policy> <cases.yaml> [--json]
                          run a policy's table of expected verdicts
  policy replay <policy> [--since DATE] [--json]
                          re-decide stored tickets with another policy; print what would change
  users add <name> --email E --roles r1,r2 [--groups g1,g2]
                          add a user; roles: requester, approver, operator, auditor, admin
  users list [--json]     list users and their roles
  users disable <name>    disable a user; their API tokens stop working
  tokens create <name> [--expires-days N] [--label L]
                          create an API token (default 90 days) and print it alone on stdout, once
  tokens list [<name>] [--json]
                          list API tokens: prefix, state, expiry (never the token)
  tokens revoke <id-or-prefix>
                          revoke an API token
  outbox [--ticket T-000123] [--json]
                          list mails newest first: state, kind, recipient, subject, attempts, last error
  outbox show <id-or-message-id> [--json]
                          print a mail's plain-text body (without SMTP_URL, mails stay here: follow their links)
  audit verify [--checkpoints FILE] [--json]
                          check the audit log's hash chain and signatures; exit 1 naming the first broken record
  audit export --format jsonl|cef [--since DATE] [--until DATE]
                          print audit records in order, one per line (DATE: ISO 8601; --until exclusive)
  audit checkpoint        record the audit log's head now, also in AIRLOCK_AUDIT_CHECKPOINT_FILE
  migrate                 create or update the database schema

Global options: --verbose (debug logs on stderr), --help, --version
Exit status: 0 done, 1 failure, 2 usage error.
`;

type Options = NonNullable<ParseArgsConfig['options']>;
const GLOBAL: Options = { verbose: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } };

/** Each command: its options, how many positionals it takes, and whether it stays quiet by default. */
const COMMANDS: Record<
  string,
  {
    options: Options;
    positionals: [number, number];
    quiet: boolean;
    run: (ctx: CliContext, values: Record<string, unknown>, args: string[]) => Promise<number>;
  }
> = {
  run: {
    options: { requester: { type: 'string' }, purpose: { type: 'string' }, json: { type: 'boolean' } },
    positionals: [1, 1],
    quiet: true,
    run: async (ctx, v, args) =>
      (await import('./commands/run.js')).runCommand(ctx, {
        pipeline: args[0]!,
        requester: v.requester as string | undefined,
        purpose: v.purpose as string | undefined,
        json: Boolean(v.json),
      }),
  },
  tickets: {
    options: { state: { type: 'string' }, 'sla-breached': { type: 'boolean' }, json: { type: 'boolean' } },
    positionals: [0, 0],
    quiet: true,
    run: async (ctx, v) =>
      ticketsCommand(ctx, { state: v.state as string | undefined, json: Boolean(v.json), slaBreached: Boolean(v['sla-breached']) }),
  },
  ticket: {
    options: { json: { type: 'boolean' } },
    positionals: [1, 1],
    quiet: true,
    run: async (ctx, v, args) => ticketCommand(ctx, { ref: args[0]!, json: Boolean(v.json) }),
  },
  serve: {
    options: { port: { type: 'string' }, host: { type: 'string' } },
    positionals: [0, 0],
    quiet: false,
    run: async (ctx, v) =>
      (await import('./commands/serve.js')).serveCommand(ctx, {
        port: parsePort(v.port as string | undefined) ?? ctx.config.port,
        host: (v.host as string | undefined) ?? ctx.config.host,
      }),
  },
  worker: {
    options: { concurrency: { type: 'string' } },
    positionals: [0, 0],
    quiet: false,
    run: async (ctx, v) =>
      (await import('./commands/worker.js')).workerCommand(ctx, { concurrency: parseConcurrency(v.concurrency as string | undefined) }),
  },
  schedules: {
    options: { json: { type: 'boolean' } },
    positionals: [0, 0],
    quiet: true,
    run: async (ctx, v) => (await import('./commands/schedules.js')).schedulesCommand(ctx, { json: Boolean(v.json) }),
  },
  reload: {
    options: {},
    positionals: [0, 0],
    quiet: true,
    run: async (ctx) => (await import('./commands/schedules.js')).reloadCommand(ctx),
  },
  validate: {
    options: {},
    positionals: [0, 0],
    quiet: true,
    run: async (ctx) => (await import('./commands/validate.js')).validateCommand(ctx),
  },
  scan: {
    options: {
      policy: { type: 'string' },
      json: { type: 'boolean' },
      'fail-on': { type: 'string' },
      trace: { type: 'boolean' },
      jobs: { type: 'string' },
    },
    positionals: [1, Number.MAX_SAFE_INTEGER],
    quiet: true,
    run: async (ctx, v, args) =>
      (await import('./commands/scan.js')).scanCommand(ctx, {
        paths: args,
        policy: v.policy as string | undefined,
        json: Boolean(v.json),
        failOn: v['fail-on'] as string | undefined,
        trace: Boolean(v.trace),
        jobs: v.jobs as string | undefined,
      }),
  },
  policy: {
    options: { since: { type: 'string' }, json: { type: 'boolean' } },
    positionals: [2, 3],
    quiet: true,
    run: async (ctx, v, [sub, policy, cases]) => {
      if (sub === 'test' && cases !== undefined)
        return (await import('./commands/policy-test.js')).policyTestCommand(ctx, { policy: policy!, cases, json: Boolean(v.json) });
      if (sub === 'replay' && cases === undefined)
        return (await import('./commands/policy-replay.js')).policyReplayCommand(ctx, {
          policy: policy!,
          since: v.since as string | undefined,
          json: Boolean(v.json),
        });
      throw new UsageError('Use "airlock policy test <policy> <cases.yaml>" or "airlock policy replay <policy> [--since DATE]".');
    },
  },
  users: {
    options: { email: { type: 'string' }, roles: { type: 'string' }, groups: { type: 'string' }, json: { type: 'boolean' } },
    positionals: [1, 2],
    quiet: true,
    run: async (ctx, v, [sub, name]) => {
      const users = await import('./commands/users.js');
      if (sub === 'add' && name !== undefined)
        return users.usersAddCommand(ctx, {
          name,
          email: v.email as string | undefined,
          roles: v.roles as string | undefined,
          groups: v.groups as string | undefined,
        });
      if (sub === 'list' && name === undefined) return users.usersListCommand(ctx, { json: Boolean(v.json) });
      if (sub === 'disable' && name !== undefined) return users.usersDisableCommand(ctx, { name });
      throw new UsageError(
        'Use "airlock users add <name> --email E --roles r1,r2 [--groups g1,g2]", "airlock users list [--json]" or "airlock users disable <name>".',
      );
    },
  },
  tokens: {
    options: { 'expires-days': { type: 'string' }, label: { type: 'string' }, json: { type: 'boolean' } },
    positionals: [1, 2],
    quiet: true,
    run: async (ctx, v, [sub, arg]) => {
      const tokens = await import('./commands/tokens.js');
      if (sub === 'create' && arg !== undefined)
        return tokens.tokensCreateCommand(ctx, {
          user: arg,
          expiresDays: v['expires-days'] as string | undefined,
          label: v.label as string | undefined,
        });
      if (sub === 'list') return tokens.tokensListCommand(ctx, { user: arg, json: Boolean(v.json) });
      if (sub === 'revoke' && arg !== undefined) return tokens.tokensRevokeCommand(ctx, { ref: arg });
      throw new UsageError(
        'Use "airlock tokens create <name> [--expires-days N] [--label L]", "airlock tokens list [<name>]" or "airlock tokens revoke <id-or-prefix>".',
      );
    },
  },
  outbox: {
    options: { ticket: { type: 'string' }, json: { type: 'boolean' } },
    positionals: [0, 2],
    quiet: true,
    run: async (ctx, v, [sub, ref]) => {
      const outbox = await import('./commands/outbox.js');
      if (sub === undefined) return outbox.outboxListCommand(ctx, { ticket: v.ticket as string | undefined, json: Boolean(v.json) });
      if (sub === 'show' && ref !== undefined && v.ticket === undefined)
        return outbox.outboxShowCommand(ctx, { ref, json: Boolean(v.json) });
      throw new UsageError('Use "airlock outbox [--ticket T-000123] [--json]" or "airlock outbox show <id-or-message-id>".');
    },
  },
  audit: {
    options: {
      checkpoints: { type: 'string' },
      json: { type: 'boolean' },
      since: { type: 'string' },
      until: { type: 'string' },
      format: { type: 'string' },
    },
    positionals: [1, 1],
    quiet: true,
    run: async (ctx, v, [sub]) => (await import('./commands/audit.js')).auditCommand(ctx, sub!, v),
  },
  migrate: {
    options: {},
    positionals: [0, 0],
    quiet: true,
    run: async (ctx) => (await import('./commands/migrate.js')).migrateCommand(ctx),
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) return usageFailure('No command given.');
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (name === '--version') {
    process.stdout.write(`${AIRLOCK_VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) return usageFailure(`Unknown command "${name}".`);

  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL, ...command.options }, allowPositionals: true, strict: true });
  } catch (error) {
    return usageFailure(`${(error as Error).message.replace(/\. To specify.*$/, '')} (in "airlock ${name}").`);
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [min, max] = command.positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    const expected = min === max ? `${min}` : max === Number.MAX_SAFE_INTEGER ? `at least ${min}` : `${min} to ${max}`;
    return usageFailure(`"airlock ${name}" takes ${expected} argument(s); got ${parsed.positionals.length}.`);
  }

  let ctx: CliContext;
  try {
    ctx = createCliContext({ verbose: Boolean(parsed.values.verbose), quietByDefault: command.quiet });
  } catch (error) {
    process.stderr.write(`airlock: ${coerceError(error).message}\n`);
    return 2;
  }
  try {
    return await command.run(ctx, parsed.values, parsed.positionals);
  } catch (error) {
    if (error instanceof UsageError) return usageFailure(error.message);
    const failure = coerceError(error);
    if (!(error instanceof AirlockError)) ctx.logger.error({ err: error }, 'command failed');
    process.stderr.write(
      `airlock ${name}: ${failure.message}${failure.code === 'internal_error' ? ' (run with --verbose for details)' : ''}\n`,
    );
    return USAGE_CODES.has(failure.code) ? 2 : 1;
  } finally {
    ctx.logger.flush?.();
  }
}

/**
 * Errors that mean the command was called wrongly (a bad argument, an unknown or already taken name, an
 * invalid file): exit 2.
 */
const USAGE_CODES: ReadonlySet<string> = new Set(['invalid_input', 'not_found', 'conflict', 'policy_invalid', 'pipeline_invalid']);

function usageFailure(message: string): number {
  process.stderr.write(`airlock: ${message}\n\n${USAGE}`);
  return 2;
}

function parseConcurrency(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new UsageError(`--concurrency must be a whole number from 1 to 64, got "${value}".`);
  return n;
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`--port must be a number from 1 to 65535, got "${value}".`);
  return port;
}
