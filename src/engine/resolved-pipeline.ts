import type { Check } from '../../checks/check.js';
import type { PolicyDecision, PolicyInput } from '../policy/evaluate-policy.js';
import type { Connector, Selector } from '../../connectors/connector.js';
import type { DeliveryMode } from '../tickets/states.js';

/** A pipeline ready to run: its connectors built, checks looked up, policy loaded. */
export interface ResolvedPipeline {
  name: string;
  source: Connector;
  selector: Selector;
  destination: Connector;
  /** The destination's connector kind, which policy rules can name (`destinations: [s3]`). */
  destinationKind: string;
  checks: readonly Check[];
  deliveryMode: DeliveryMode;
  policy: {
    name: string;
    version: string;
    /** The policy's verdict for one item; pure. */
    decide(input: PolicyInput): PolicyDecision;
  };
  /** Releases the connectors. */
  close(): Promise<void>;
}

export type PipelineResolver = (name: string) => Promise<ResolvedPipeline>;
