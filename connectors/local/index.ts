import { resolve } from 'node:path';
import type { ConnectorFactory } from '../connector.js';
import { LocalConnector } from './local-connector.js';
import { localConnectorConfigSchema, type LocalConnectorConfig } from './local-connector-config.js';

export { LocalConnector, type LocalConnectorOptions } from './local-connector.js';
export { localConnectorConfigSchema, type LocalConnectorConfig } from './local-connector-config.js';

/** A folder on this machine; a relative `root` is taken from the pipeline's project root, not the process's cwd. */
export const localConnectorFactory = {
  kind: 'local',
  parseConfig: (raw: unknown): LocalConnectorConfig => localConnectorConfigSchema.parse(raw),
  create: (config, context) => new LocalConnector({ root: resolve(context.baseDir, config.root) }),
} satisfies ConnectorFactory<LocalConnectorConfig>;
