import { stat } from 'node:fs/promises';
import path from 'node:path';
import { AirlockError } from '../errors.js';
import {
  deepFreeze,
  displayPath,
  findConfigFile,
  invalidConfigError,
  listYamlFiles,
  readYamlFile,
  validateYaml,
  yamlBaseName,
} from '../config/yaml-source.js';
import { policySchema, type Policy } from './policy-schema.js';

/** A validated policy and where it came from. Frozen: decisions made with it must be reproducible. */
export interface LoadedPolicy extends Policy {
  /** The file it was read from. */
  readonly file: string;
  /** sha256 of the file's bytes, recorded with every decision so it can be traced to the exact rules used. */
  readonly version: string;
}

/** Test-case files (`default.cases.yaml`) live beside policies but are not policies. */
export const POLICY_CASES_SUFFIX = '.cases';

/**
 * Loads policy `name` from `dir` (`<dir>/<name>.yaml` or `.yml`). Throws `not_found` listing the policies
 * available, or `policy_invalid` with every problem as `file:line:col: field: message`.
 */
export async function loadPolicy(dir: string, name: string): Promise<LoadedPolicy> {
  return loadPolicyFile(await findPolicyFile(dir, name));
}

const cachedPolicies = new Map<string, { mtimeMs: number; size: number; policy: LoadedPolicy }>();

/**
 * `loadPolicy`, reusing the last result while the file is unchanged (same modification time and size): a
 * worker decides every ticket with the policy as it is on disk, without parsing it again for each ticket.
 */
export async function loadPolicyCached(dir: string, name: string): Promise<LoadedPolicy> {
  const file = await findPolicyFile(dir, name);
  const info = await stat(file);
  const hit = cachedPolicies.get(file);
  if (hit && hit.mtimeMs === info.mtimeMs && hit.size === info.size) return hit.policy;
  const policy = await loadPolicyFile(file);
  cachedPolicies.set(file, { mtimeMs: info.mtimeMs, size: info.size, policy });
  return policy;
}

/** Loads the policy in `file`; its `name` must equal the file's base name. Throws `policy_invalid`. */
export async function loadPolicyFile(file: string): Promise<LoadedPolicy> {
  const name = yamlBaseName(file);
  const read = await readYamlFile(file);
  if ('problem' in read) throw invalidConfigError('policy', name, [read.problem]);
  const validated = validateYaml(file, read.text, policySchema, { expectedName: name });
  if (!validated.ok) throw invalidConfigError('policy', name, validated.problems);
  return deepFreeze({ ...validated.data, file: path.resolve(file), version: read.version });
}

/**
 * A policy named on a command line: a path when a file exists there (`./drafts/strict.yaml`), else a
 * policy name in `dir`.
 */
export async function loadPolicyRef(dir: string, ref: string): Promise<LoadedPolicy> {
  const isFile = await stat(ref).then(
    (s) => s.isFile(),
    () => false,
  );
  return isFile ? loadPolicyFile(ref) : loadPolicy(dir, ref);
}

/** The names of the policies in `dir`, sorted; `*.cases.yaml` files are left out. */
export async function listPolicyNames(dir: string): Promise<string[]> {
  const files = await listYamlFiles(dir, 'policies');
  return [...new Set(files.map(yamlBaseName).filter((name) => !name.endsWith(POLICY_CASES_SUFFIX)))];
}

/**
 * The file holding policy `name`, as `findConfigFile` finds it, except that the policies listed as
 * available when it is missing leave out test-case files.
 */
async function findPolicyFile(dir: string, name: string): Promise<string> {
  try {
    return await findConfigFile(dir, 'policy', name);
  } catch (error) {
    if (!(error instanceof AirlockError) || error.code !== 'not_found') throw error;
    const available = (await listPolicyNames(dir)).join(', ') || 'none';
    throw new AirlockError('not_found', `Policy "${name}" was not found in ${displayPath(dir)}; available: ${available}.`);
  }
}
