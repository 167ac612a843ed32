/** What the engine reports while it works, for progress bars; never content, only counts. */
export interface ProgressEvent {
  ticketId: string;
  phase: 'fetch' | 'inspect' | 'deliver';
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

export type ProgressListener = (event: ProgressEvent) => void;
