import { stat } from 'node:fs/promises';
import path from 'node:path';
import {
  deepFreeze,
  findConfigFile,
  invalidConfigError,
  listYamlFiles,
  makeProblem,
  readYamlFile,
  validateYaml,
  yamlBaseName,
  type SourcePosition,
  type SourceProblem,
} from '../config/yaml-source.js';
import { pipelineSchema, type Pipeline } from './pipeline-schema.js';

/** A validated pipeline and where it came from. Frozen: it is the config every run of it uses. */
export interface LoadedPipeline extends Pipeline {
  /** The file it was read from. */
  readonly file: string;
  /** The file's folder; local connectors resolve relative `root`s against it, secret `${file:…}` refs too. */
  readonly dir: string;
  /** sha256 of the file's bytes, recorded on tickets so a run can be traced to the exact config it used. */
  readonly version: string;
}

/** One problem in one pipeline file: `text` is the composed `file:line:col: field: message` line. */
export type PipelineLoadError = SourceProblem;

export interface PipelineSet {
  pipelines: Map<string, LoadedPipeline>;
  /** Problems in files that did not load; a bad file never stops the others. */
  errors: PipelineLoadError[];
}

type FileResult = { ok: true; pipeline: LoadedPipeline; nameAt: SourcePosition } | { ok: false; problems: SourceProblem[] };

/**
 * Loads every `*.yaml`/`*.yml` in `dir`, in name order. Files that fail are reported in `errors` and
 * left out; so are all files declaring the same name (neither can be trusted to be the one meant).
 */
export async function loadPipelines(dir: string): Promise<PipelineSet> {
  const files = await listYamlFiles(dir, 'pipelines');
  const results = await Promise.all(files.map(loadPipelineFile));
  const errors: PipelineLoadError[] = [];
  const byName = new Map<string, Extract<FileResult, { ok: true }>[]>();
  for (const result of results) {
    if (!result.ok) errors.push(...result.problems);
    else byName.set(result.pipeline.name, [...(byName.get(result.pipeline.name) ?? []), result]);
  }
  const pipelines = new Map<string, LoadedPipeline>();
  for (const [name, found] of byName) {
    if (found.length === 1) {
      pipelines.set(name, found[0]!.pipeline);
      continue;
    }
    const where = found.map((r) => path.basename(r.pipeline.file)).join(', ');
    for (const r of found) {
      errors.push(makeProblem(r.pipeline.file, r.nameAt, 'name', `pipeline "${name}" is defined more than once (${where}); keep one file`));
    }
  }
  return { pipelines, errors };
}

/**
 * Loads one pipeline by name. Throws `not_found` (listing the available names) when no file has that
 * name, `pipeline_invalid` with every problem when the file is bad or the name is defined twice.
 */
export async function loadPipeline(dir: string, name: string): Promise<LoadedPipeline> {
  const file = await findConfigFile(dir, 'pipeline', name);
  const result = await loadPipelineFile(file);
  if (!result.ok) throw invalidConfigError('pipeline', name, result.problems);
  return result.pipeline;
}

const loaded = new Map<string, { file: string; mtimeMs: number; size: number; pipeline: LoadedPipeline }>();

/**
 * `loadPipeline`, reusing the last result while the file is unchanged (same modification time and size), so
 * a busy API does not re-read and re-validate the YAML on every request. An edited file is read again.
 */
export async function loadPipelineCached(dir: string, name: string): Promise<LoadedPipeline> {
  const key = `${dir}\0${name}`;
  const hit = loaded.get(key);
  if (hit) {
    const now = await stat(hit.file).catch(() => undefined);
    if (now && now.mtimeMs === hit.mtimeMs && now.size === hit.size) return hit.pipeline;
  }
  const pipeline = await loadPipeline(dir, name);
  const info = await stat(pipeline.file);
  loaded.set(key, { file: pipeline.file, mtimeMs: info.mtimeMs, size: info.size, pipeline });
  return pipeline;
}

/** Reads and validates one file; never throws for a bad file, it returns the problems. */
export async function loadPipelineFile(file: string): Promise<FileResult> {
  const read = await readYamlFile(file);
  if ('problem' in read) return { ok: false, problems: [read.problem] };
  const validated = validateYaml(file, read.text, pipelineSchema, { expectedName: yamlBaseName(file) });
  if (!validated.ok) return validated;
  const absolute = path.resolve(file);
  const pipeline: LoadedPipeline = { ...validated.data, file: absolute, dir: path.dirname(absolute), version: read.version };
  return { ok: true, pipeline: deepFreeze(pipeline), nameAt: validated.nameAt };
}
