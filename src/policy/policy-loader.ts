import path from 'node:path';
import { deepFreeze, findConfigFile, invalidConfigError, readYamlFile, validateYaml, yamlBaseName } from '../config/yaml-source.js';
import { policySchema, type Policy } from './policy-schema.js';

/** A validated policy and where it came from. Frozen: decisions made with it must be reproducible. */
export interface LoadedPolicy extends Policy {
  /** The file it was read from. */
  readonly file: string;
  /** sha256 of the file's bytes, recorded with every decision so it can be traced to the exact rules used. */
  readonly version: string;
}

/**
 * Loads policy `name` from `dir` (`<dir>/<name>.yaml` or `.yml`). Throws `not_found` listing the policies
 * available, or `policy_invalid` with every problem as `file:line:col: field: message`.
 */
export async function loadPolicy(dir: string, name: string): Promise<LoadedPolicy> {
  const file = await findConfigFile(dir, 'policy', name);
  const read = await readYamlFile(file);
  if ('problem' in read) throw invalidConfigError('policy', name, [read.problem]);
  const validated = validateYaml(file, read.text, policySchema, { expectedName: yamlBaseName(file) });
  if (!validated.ok) throw invalidConfigError('policy', name, validated.problems);
  return deepFreeze({ ...validated.data, file: path.resolve(file), version: read.version });
}
