// The pipeline files of the benchmarks: a local source folder to a local destination folder, triggered by hand.

export interface LocalPipeline {
  name: string;
  description: string;
  sourceDir: string;
  /** The source's `prefix`, when there is one. */
  sourcePrefix?: string | undefined;
  destinationDir: string;
  /** Lines between `policy: default` and the trigger: `delivery: per-item`, `checks: […]`, `approvers: […]`. */
  settings?: string[];
}

/** The YAML of a local-to-local pipeline with policy default and a manual trigger. */
export function localPipelineYaml(p: LocalPipeline): string {
  const q = (value: string): string => JSON.stringify(value);
  return [
    `name: ${p.name}`,
    `description: ${p.description}`,
    'source:',
    '  kind: local',
    `  root: ${q(p.sourceDir)}`,
    ...(p.sourcePrefix === undefined ? [] : [`  prefix: ${q(p.sourcePrefix)}`]),
    'destination:',
    '  kind: local',
    `  root: ${q(p.destinationDir)}`,
    'policy: default',
    ...(p.settings ?? []),
    'trigger: { manual: true }',
    '',
  ].join('\n');
}
