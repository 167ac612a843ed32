import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import SftpClientLibrary from 'ssh2-sftp-client';
import { isSecretRef } from '../../src/config/secret-ref.js';
import { AirlockError } from '../../src/errors.js';
import type { ConnectorContext, ConnectorFactory } from '../connector.js';
import { SftpConnector, type SftpRetryOptions } from './sftp-connector.js';
import { sftpConnectorConfigSchema, type CreateSftpClient, type SftpConnectorConfig } from './sftp-connector-config.js';
import type { SftpCredentials } from './sftp-session.js';

export { SftpConnector, type SftpConnectorOptions, type SftpRetryOptions } from './sftp-connector.js';
export {
  INSECURE_ACCEPT_ANY_HOST_KEY,
  sftpConnectorConfigSchema,
  type CreateSftpClient,
  type SftpChannel,
  type SftpClient,
  type SftpConnectOptions,
  type SftpConnectorConfig,
} from './sftp-connector-config.js';
export { hostKeyFingerprint, type SftpCredentials } from './sftp-session.js';

/** The real client: ssh2-sftp-client, with its connection-event logging replaced by our callbacks. */
export const createSftpClient: CreateSftpClient = (callbacks) => new SftpClientLibrary('airlock', callbacks);

/** A folder on an SFTP server, reached with a pinned host key and a key file or password reference. */
export const sftpConnectorFactory = {
  kind: 'sftp',
  parseConfig: (raw: unknown): SftpConnectorConfig => sftpConnectorConfigSchema.parse(raw),
  create: (config, context) => createSftpConnector(config, context),
} satisfies ConnectorFactory<SftpConnectorConfig>;

/** Builds an SFTP connector; `overrides` swap the client (a fake, or a counting wrapper) or the retry timing. */
export function createSftpConnector(
  config: SftpConnectorConfig,
  context: ConnectorContext,
  overrides: { createClient?: CreateSftpClient; retry?: SftpRetryOptions } = {},
): SftpConnector {
  return new SftpConnector({
    config,
    loadCredentials: () => loadCredentials(config, context),
    createClient: overrides.createClient ?? createSftpClient,
    ...(overrides.retry === undefined ? {} : { retry: overrides.retry }),
  });
}

/**
 * Reads the key (a literal path is taken from the pipeline's project root; a `${file:…}` reference goes
 * through the secret resolver) or resolves the password. Called per connection, so rotated secrets apply.
 */
async function loadCredentials(config: SftpConnectorConfig, context: ConnectorContext): Promise<SftpCredentials> {
  if (config.password !== undefined) return { password: await context.resolveSecret(config.password) };
  const reference = config.privateKey as string;
  let privateKey: string;
  if (isSecretRef(reference)) {
    privateKey = await context.resolveSecret(reference);
  } else {
    const file = resolve(context.baseDir, reference);
    try {
      privateKey = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'unknown error';
      throw new AirlockError(
        'connector_failed',
        `SFTP private key file ${file} could not be read (${code}); check the connector's privateKey setting.`,
        {
          cause: error,
        },
      );
    }
  }
  const passphrase = config.passphrase === undefined ? undefined : await context.resolveSecret(config.passphrase);
  return { privateKey, ...(passphrase === undefined ? {} : { passphrase }) };
}
