import type { Check } from '../../checks/check.js';
import type { PolicyDecision, PolicyInput } from '../policy/evaluate-policy.js';
import type { Connector, Selector } from '../../connectors/connector.js';
import type { DeliveryMode } from '../tickets/states.js';

/** A pipeline ready to run: its connectors built, checks looked up, policy loaded. */
export interface ResolvedPipeline {
  name: string;
  /** sha256 of the pipeline file it was built from (what the audit trail records). */
  version: string;
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
  /** The pipeline's `quarantine:` block; absent, blocked items are purged with the rest of the ticket's staging. */
  quarantine?: ResolvedQuarantine | undefined;
  /** Releases the connectors. */
  close(): Promise<void>;
}

/** Where a pipeline keeps blocked items and where two operators may release one to. */
export interface ResolvedQuarantine {
  /** How long a blocked item is kept; fixed per item (`until`) when it is blocked. */
  days: number;
  /** The release destination; written only through the two-person release (src/quarantine). */
  releaseTo: Connector;
  releaseToKind: string;
}

export type PipelineResolver = (name: string) => Promise<ResolvedPipeline>;
