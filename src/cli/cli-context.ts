import os from 'node:os';
import { useConfiguredAuditKey } from '../audit/audit-key.js';
import { loadConfig, type AirlockConfig } from '../config/env.js';
import { createLogger, type Logger } from '../log/logger.js';

/** What every command gets: parsed configuration, a logger on stderr, and where to print. */
export interface CliContext {
  config: AirlockConfig;
  logger: Logger;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  /** stderr is a terminal: progress bars and pretty logs are welcome. */
  interactive: boolean;
}

/** A mistake in how the command was called; exits 2 with the message and the usage line. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function createCliContext(options: { verbose: boolean; quietByDefault: boolean; env?: NodeJS.ProcessEnv }): CliContext {
  const env = options.env ?? process.env;
  const config = loadConfig(env);
  const interactive = Boolean(process.stderr.isTTY);
  // One-shot commands keep the terminal for their own output unless asked to talk; LOG_LEVEL wins.
  const level = options.verbose ? 'debug' : env.LOG_LEVEL ? config.logLevel : options.quietByDefault ? 'warn' : config.logLevel;
  const logger = createLogger({ level, pretty: interactive });
  // Loaded only when a command first writes an audit record (`scan` or `validate` never touch the key).
  useConfiguredAuditKey(config);
  return { config, logger, stdout: process.stdout, stderr: process.stderr, env, interactive };
}

/** Who the audit trail names for a change made from the command line: the operating-system account. */
export function cliActor(): string {
  try {
    return `cli:${os.userInfo().username}`;
  } catch {
    return 'cli';
  }
}
