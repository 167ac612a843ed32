import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AirlockError } from '../errors.js';

/**
 * Secrets never sit in config files. A secret-holding setting is a reference, resolved only when a
 * connector needs the value: `${env:NAME}` reads an environment variable, `${file:/abs/path}` (or a
 * path relative to the config's folder) reads a file, e.g. a mounted Kubernetes/Docker secret.
 * Error messages name the reference, never a value.
 */

/** The whole string must be one reference; `${env:A}-${env:B}` or text around a reference is not one. */
const SECRET_REF = /^\$\{(env:[A-Za-z_][A-Za-z0-9_]*|file:[^}]+)\}$/;

export const INLINE_SECRET_MESSAGE = 'must be a ${env:…} or ${file:…} reference, not an inline secret';

export type SecretRef = { kind: 'env'; name: string } | { kind: 'file'; path: string };

export interface SecretResolveOptions {
  /** The environment to read `${env:…}` from; passed in so no leaf module reads `process.env`. */
  env: Readonly<Record<string, string | undefined>>;
  /** Folder that relative `${file:…}` paths are resolved against (the config file's folder). */
  baseDir: string;
}

export function isSecretRef(value: unknown): value is string {
  return typeof value === 'string' && SECRET_REF.test(value);
}

/** Splits a reference into its kind and target; undefined when the string is not a reference. */
export function parseSecretRef(value: string): SecretRef | undefined {
  const body = SECRET_REF.exec(value)?.[1];
  if (body === undefined) return undefined;
  return body.startsWith('env:') ? { kind: 'env', name: body.slice(4) } : { kind: 'file', path: body.slice(5) };
}

/**
 * Resolves a reference to its value. A file's content loses one trailing newline (files written by
 * `echo` or editors end with one; a password does not). An unset or empty variable and an unreadable
 * or empty file are errors: an empty credential is never what was meant.
 */
export async function resolveSecret(ref: string, options: SecretResolveOptions): Promise<string> {
  const parsed = parseSecretRef(ref);
  // The string is not a reference, so it may be a pasted secret: it stays out of the message.
  if (!parsed) throw new AirlockError('invalid_input', `A secret setting holds an inline value; it ${INLINE_SECRET_MESSAGE}.`);
  if (parsed.kind === 'env') {
    const value = options.env[parsed.name];
    if (value === undefined) throw unresolved(`Secret reference ${ref} is not set; set the environment variable ${parsed.name}.`);
    if (value === '') throw unresolved(`Secret reference ${ref} is empty; set the environment variable ${parsed.name} to the secret.`);
    return value;
  }
  const file = path.resolve(options.baseDir, parsed.path);
  let content: string;
  try {
    content = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'unknown error';
    throw unresolved(`Secret reference ${ref} could not be read from ${file} (${code}); check the file exists and is readable.`, error);
  }
  const value = content.replace(/\r?\n$/, '');
  if (value === '') throw unresolved(`Secret reference ${ref} points at an empty file ${file}; put the secret in it.`);
  return value;
}

/**
 * The schema for a setting that holds a secret: only a reference validates, so a pasted password fails
 * at load naming the field, and the zod issue carries no input (zod does not report it by default).
 */
export function secretRef() {
  return z.string().regex(SECRET_REF, { error: INLINE_SECRET_MESSAGE });
}

function unresolved(message: string, cause?: unknown): AirlockError {
  return new AirlockError('secret_unresolved', message, { cause });
}
