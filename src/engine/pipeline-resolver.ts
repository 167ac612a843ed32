import { createChecks } from '../../checks/index.js';
import { createConnector } from '../../connectors/index.js';
import { resolveSecret } from '../config/secret-ref.js';
import { loadPipelineCached } from '../pipelines/pipeline-loader.js';
import { evaluatePolicy } from '../policy/evaluate-policy.js';
import { loadPolicyCached } from '../policy/policy-loader.js';
import type { PipelineResolver } from './resolved-pipeline.js';

export interface ResolverConfig {
  pipelinesDir: string;
  policiesDir: string;
  env: NodeJS.ProcessEnv;
}

/**
 * Loads a pipeline by name and builds what running it needs. Files are checked at every call (parsed again
 * only when changed), so an edited pipeline or policy takes effect for the next ticket without a restart; secrets are resolved
 * by the connectors when they connect, never here.
 */
export function createPipelineResolver(config: ResolverConfig): PipelineResolver {
  return async (name) => {
    const pipeline = await loadPipelineCached(config.pipelinesDir, name);
    const policy = await loadPolicyCached(config.policiesDir, pipeline.policy);
    const context = {
      baseDir: pipeline.dir,
      resolveSecret: (ref: string) => resolveSecret(ref, { env: config.env, baseDir: pipeline.dir }),
    };
    const source = createConnector(pipeline.source, context);
    const destination = createConnector(pipeline.destination, context);
    // Built (not connected) with the others, so bad release settings fail the pipeline's tickets as a bad destination would.
    const releaseTo = pipeline.quarantine ? createConnector(pipeline.quarantine.releaseTo, context) : undefined;
    return {
      name: pipeline.name,
      version: pipeline.version,
      source,
      selector: pipeline.selector,
      destination,
      destinationKind: pipeline.destination.kind,
      checks: createChecks(pipeline.checks, { patterns: { custom: policy.detectors ?? [], allow: policy.allow ?? {} } }),
      deliveryMode: pipeline.delivery,
      policy: { name: policy.name, version: policy.version, decide: (input) => evaluatePolicy(policy, input) },
      ...(pipeline.quarantine && releaseTo
        ? { quarantine: { days: pipeline.quarantine.days, releaseTo, releaseToKind: pipeline.quarantine.releaseTo.kind } }
        : {}),
      close: async () => {
        await source.close?.();
        await destination.close?.();
        await releaseTo?.close?.();
      },
    };
  };
}
