import { z } from 'zod';
import type { FindingSeverity } from '../../checks/check.js';
import { strictConfigObject } from '../config/yaml-source.js';
import { isBuiltinDetector } from './detector-catalog.js';

/**
 * A detector a policy declares itself (top-level `detectors:`), for values only this organisation
 * knows the shape of: employee ids, project codes. The patterns check compiles and runs them; the
 * policy only validates their shape, and rules refer to them by `id` like any built-in detector.
 */
export interface CustomDetectorSpec {
  /** `[a-z][a-z0-9_]*`, unique in the policy and not a built-in id; the `detector` of its findings. */
  id: string;
  /** The regular expression a value must match (RE2 syntax: no look-around, no back-references); at most 8192 characters. */
  pattern: string;
  /** Match letters regardless of case; default false. */
  caseInsensitive?: boolean;
  /** A checksum a candidate must pass to count: `luhn` (card-like numbers), `iban` (mod 97); default `none`. */
  validator?: 'luhn' | 'iban' | 'none';
  /** Words near a match that make it more credible (`employee`, `badge`). */
  context?: {
    /** Compared case-insensitively. */
    words: string[];
    /** How many bytes either side of a match are searched for the words, 1..4096; the check's default (48) when absent. */
    window?: number;
    /** true: a match without any of the words nearby is not reported at all. */
    required?: boolean;
  };
  /** The severity of every finding it reports. */
  severity: FindingSeverity;
  /** 0..1, how sure a match is; the check's default (0.7) when absent. */
  confidence?: number;
  /** Longest match in bytes, 1..4096 (the check's default is 256); longer matches are not reported. Bounds what a scanner keeps between chunks. */
  maxLength?: number;
}

/** Custom detector ids: the same shape as built-in ones, so findings look alike. */
export const CUSTOM_DETECTOR_ID = /^[a-z][a-z0-9_]*$/;

export const customDetectorSchema = strictConfigObject({
  id: z
    .string()
    .regex(CUSTOM_DETECTOR_ID, { error: 'must be lower-case letters, digits and underscores, starting with a letter' })
    .refine((id) => !isBuiltinDetector(id), { error: 'is the id of a built-in detector; choose another id' }),
  pattern: z.string().min(1, { error: 'must not be empty' }).max(8192),
  caseInsensitive: z.boolean().optional(),
  validator: z.enum(['luhn', 'iban', 'none']).optional(),
  context: strictConfigObject({
    words: z.array(z.string().trim().min(1)).min(1, { error: 'must list at least one word' }),
    window: z.int().min(1).max(4096).optional(),
    required: z.boolean().optional(),
  }).optional(),
  severity: z.enum(['low', 'medium', 'high', 'critical']),
  confidence: z.number().min(0).max(1).optional(),
  maxLength: z.int().min(1).max(4096).optional(),
}) satisfies z.ZodType<CustomDetectorSpec>;
