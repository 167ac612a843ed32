import { z } from 'zod';
import { AirlockError } from '../src/errors.js';
import type { Connector, ConnectorContext, ConnectorFactory } from './connector.js';
import { localConnectorFactory } from './local/index.js';
import { s3ConnectorFactory } from './s3/index.js';
import { sftpConnectorFactory } from './sftp/index.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each factory has its own config type
type AnyConnectorFactory = ConnectorFactory<any>;

/**
 * Every connector kind Airlock can use, keyed by the `kind` written in pipeline files. Anything that can
 * touch data is listed here explicitly; there is no discovery.
 */
export const connectors = {
  local: localConnectorFactory,
  s3: s3ConnectorFactory,
  sftp: sftpConnectorFactory,
} satisfies Record<string, AnyConnectorFactory>;

export type ConnectorKind = keyof typeof connectors;

/** A connector as written in a pipeline file: its kind, beside that kind's own settings. */
export interface ConnectorSpec {
  kind: string;
  [setting: string]: unknown;
}

/**
 * Looks up `spec.kind`, validates the other keys with that kind's schema and builds the connector.
 * Throws `invalid_input` naming the unknown kind or each failing setting; callers add the file and YAML path.
 */
export function createConnector(spec: ConnectorSpec, context: ConnectorContext): Connector {
  const { kind, ...settings } = spec;
  if (!isConnectorKind(kind)) {
    throw new AirlockError(
      'invalid_input',
      `Unknown connector kind ${JSON.stringify(kind)}; known kinds are ${Object.keys(connectors).join(', ')}.`,
    );
  }
  const factory: ConnectorFactory<unknown> = connectors[kind];
  let config: unknown;
  try {
    config = factory.parseConfig(settings);
  } catch (error) {
    if (!(error instanceof z.core.$ZodError)) throw error;
    const problems = error.issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(settings)'}: ${issue.message}`);
    throw new AirlockError('invalid_input', `Invalid settings for connector kind "${kind}": ${problems.join('; ')}.`, { cause: error });
  }
  return factory.create(config, context);
}

function isConnectorKind(kind: unknown): kind is ConnectorKind {
  // Object.hasOwn, so `toString` or `__proto__` are not taken for kinds.
  return typeof kind === 'string' && Object.hasOwn(connectors, kind);
}
