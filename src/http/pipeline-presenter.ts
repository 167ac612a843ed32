import path from 'node:path';
import type { Pipeline } from '../pipelines/pipeline-schema.js';
import type { PipelineSet } from '../pipelines/pipeline-loader.js';

/**
 * What anyone who may list pipelines sees of one: its name, description, the kinds of its ends, policy,
 * delivery, checks and trigger. Never settings, paths or secrets. The API and the console both show this.
 */
export function presentPipeline(p: Pipeline) {
  return {
    name: p.name,
    description: p.description ?? null,
    source: String(p.source.kind),
    destination: String(p.destination.kind),
    policy: p.policy,
    delivery: p.delivery,
    checks: p.checks,
    trigger: triggerText(p.trigger),
  };
}

/** `manual`, or `schedule 0 2 * * * (Europe/Berlin)`. */
export function triggerText(trigger: Pipeline['trigger']): string {
  return trigger.kind === 'schedule' ? `schedule ${trigger.cron} (${trigger.timezone})` : 'manual';
}

/** The pipeline files that do not load, by file name only: their problems quote settings. */
export function brokenPipelineFiles(set: PipelineSet): string[] {
  return [...new Set(set.errors.map((e) => path.basename(e.file)))];
}
