/** How records travel to a SIEM: Splunk's HTTP Event Collector, or a plain JSON webhook. */
export const SIEM_FORMATS = ['splunk-hec', 'webhook'] as const;

export type SiemFormat = (typeof SIEM_FORMATS)[number];

/** Where the audit log is pushed (AIRLOCK_SIEM_URL, AIRLOCK_SIEM_FORMAT, AIRLOCK_SIEM_TOKEN). */
export interface SiemConfig {
  /** The collector's http(s) address (for Splunk: `https://splunk:8088/services/collector/event`). */
  readonly url: string;
  readonly format: SiemFormat;
  /** Sent as `Authorization: Splunk <token>` or `Bearer <token>`; never logged, never stored. */
  readonly token: string | undefined;
}
