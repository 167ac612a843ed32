import { NewTicketBody, PURPOSE_LENGTH } from '../../api-schemas.js';
import { PostForm } from '../layout.js';

/** What the new-transfer form offers per pipeline: what `GET /api/v1/pipelines` shows, no settings. */
export interface PipelineChoice {
  name: string;
  description: string | null;
  source: string;
  destination: string;
}

/** The form's fields as the person typed them, kept when the form comes back with a problem. */
export interface NewTicketValues {
  pipeline: string;
  purpose: string;
  selection: string;
}

export type NewTicketInput = { pipeline: string; purpose: string; selection?: { include: string[] } | undefined };

/**
 * Checks the form with the API's own schema (same limits as `POST /api/v1/tickets`) and says what is wrong
 * in one sentence. Glob syntax is checked later by `submitTicket`, as for the API.
 */
export function parseNewTicket(
  values: NewTicketValues,
  pipelines: readonly PipelineChoice[],
): { input: NewTicketInput } | { error: string } {
  if (!pipelines.some((p) => p.name === values.pipeline)) return { error: 'Choose one of the pipelines in the list.' };
  const include = splitSelection(values.selection);
  const parsed = NewTicketBody.safeParse({
    pipeline: values.pipeline,
    purpose: values.purpose,
    ...(include.length > 0 ? { selection: { include } } : {}),
  });
  if (parsed.success) return { input: parsed.data };
  const field = parsed.error.issues[0]?.path[0];
  if (field === 'purpose') return { error: `Say what the transfer is for in ${PURPOSE_LENGTH.min} to ${PURPOSE_LENGTH.max} characters.` };
  if (field === 'selection') return { error: 'The selection takes at most 100 patterns of at most 512 characters each.' };
  return { error: 'Choose one of the pipelines in the list.' };
}

/**
 * One glob per line, or several on a line separated by commas. A comma inside `[...]` or after `\` belongs
 * to the pattern (globs may match file names that contain commas).
 */
export function splitSelection(text: string): string[] {
  const patterns: string[] = [];
  for (const line of text.split(/\r?\n/)) {
    let current = '';
    let inClass = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (ch === '\\' && i + 1 < line.length) {
        current += ch + line[++i]!;
        continue;
      }
      if (ch === '[') inClass = true;
      else if (ch === ']') inClass = false;
      if (ch === ',' && !inClass) {
        patterns.push(current);
        current = '';
      } else current += ch;
    }
    patterns.push(current);
  }
  return patterns.map((p) => p.trim()).filter((p) => p !== '');
}

export function NewTicketForm(props: { csrf: string; pipelines: readonly PipelineChoice[]; values: NewTicketValues; unavailable: number }) {
  const { values, pipelines } = props;
  const chosen = pipelines.find((p) => p.name === values.pipeline);
  return (
    <section class="narrow">
      <h1>New transfer</h1>
      {pipelines.length === 0 ? (
        <p>No pipeline can be requested right now. Ask an operator to set one up.</p>
      ) : (
        <PostForm action="/ui/tickets" csrf={props.csrf} label="New transfer">
          <label for="pipeline">Pipeline</label>
          <p class="hint" id="pipeline-hint">
            Where the files come from and where they go; your ticket follows its checks and approvals.
          </p>
          <select id="pipeline" name="pipeline" required aria-describedby="pipeline-hint">
            {!chosen && (
              <option value="" selected>
                Choose a pipeline
              </option>
            )}
            {pipelines.map((p) => (
              <option value={p.name} selected={p.name === values.pipeline}>
                {p.description ? `${p.name} — ${p.description}` : p.name}
              </option>
            ))}
          </select>
          <details class="pipeline-list">
            <summary>About these pipelines</summary>
            <dl class="facts">
              {pipelines.map((p) => (
                <>
                  <dt>{p.name}</dt>
                  <dd>{`${p.description ?? 'No description.'} From ${p.source} to ${p.destination}.`}</dd>
                </>
              ))}
            </dl>
          </details>
          <label for="purpose">Purpose</label>
          <p class="hint" id="purpose-hint">
            {`Why these files must move, for the approvers and the audit trail (${PURPOSE_LENGTH.min} to ${PURPOSE_LENGTH.max} characters).`}
          </p>
          <textarea
            id="purpose"
            name="purpose"
            required
            minlength={PURPOSE_LENGTH.min}
            maxlength={PURPOSE_LENGTH.max}
            aria-describedby="purpose-hint"
          >
            {values.purpose}
          </textarea>
          <label for="selection">Selection (optional)</label>
          <p class="hint" id="selection-hint">
            Only files whose path matches one of these patterns, one per line or separated by commas, for example statements/2026-*.csv.
            Leave it empty for everything the pipeline selects.
          </p>
          <textarea id="selection" name="selection" class="short" aria-describedby="selection-hint">
            {values.selection}
          </textarea>
          <div class="buttons">
            <button type="submit">Submit transfer</button>
          </div>
        </PostForm>
      )}
      {props.unavailable > 0 && (
        <p class="muted">{`${props.unavailable} pipeline file(s) could not be loaded and are not listed; an operator can see why.`}</p>
      )}
    </section>
  );
}
