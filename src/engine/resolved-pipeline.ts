import type { Check, Finding } from '../../checks/check.js';
import type { Connector, Selector } from '../../connectors/connector.js';
import type { DeliveryMode, Verdict } from '../tickets/states.js';

/** A pipeline ready to run: its connectors built, checks looked up, policy loaded. */
export interface ResolvedPipeline {
  name: string;
  source: Connector;
  selector: Selector;
  destination: Connector;
  checks: readonly Check[];
  deliveryMode: DeliveryMode;
  policy: {
    name: string;
    version: string;
    /** The policy's verdict for one item; pure. */
    decide(input: { findings: readonly Finding[]; failedChecks: readonly string[] }): { verdict: Verdict; rule: string; reasons: string[] };
  };
  /** Releases the connectors. */
  close(): Promise<void>;
}

export type PipelineResolver = (name: string) => Promise<ResolvedPipeline>;
