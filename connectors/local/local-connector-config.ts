import { z } from 'zod';

/**
 * Settings of a `local` connector, as written in a pipeline file. `root` is the directory the connector is
 * jailed to; a relative root is resolved against `ConnectorContext.baseDir` when the connector is created.
 * Unknown keys are rejected so a misspelt setting fails at load instead of being ignored.
 */
export const localConnectorConfigSchema = z.strictObject({
  root: z
    .string()
    .min(1, 'must name a directory')
    .refine((root) => !root.includes('\0'), 'must not contain a NUL byte'),
});

export type LocalConnectorConfig = z.infer<typeof localConnectorConfigSchema>;
