import type { BlindReview } from '../../../notify/blind-review.js';
import { singleLine } from '../../../notify/mail-text.js';
import { formatByteSize } from '../../../policy/byte-size.js';

/** The same bounds as the review mail (blind-review.ts): a handful of excerpts, short, and the first files. */
const MAX_EXCERPTS = 3;
const MAX_EXCERPT_LENGTH = 80;
const MAX_FILES = 20;

/**
 * A blind review on a page: what the checks found (counts and masked excerpts only), what the files are
 * (names hashed when the pipeline redacts them), where they would go and why the policy asked. Headings are
 * h4: it sits inside a ticket's h3.
 */
export function BlindReviewView(props: { review: BlindReview; ticketHref: string }) {
  const { review } = props;
  const files = review.files.slice(0, MAX_FILES);
  return (
    <>
      <h4>What the checks found</h4>
      {review.detectors.length === 0 ? (
        <p>Nothing detected; the rule asked for a review for another reason.</p>
      ) : (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Detector</th>
                <th scope="col" class="num">
                  Found
                </th>
                <th scope="col">Examples (masked)</th>
              </tr>
            </thead>
            <tbody>
              {review.detectors.map((d) => (
                <tr>
                  <th scope="row">{d.label}</th>
                  <td class="num">{d.count}</td>
                  <td>
                    {d.excerpts.length === 0 ? (
                      <span class="muted">none kept</span>
                    ) : (
                      <ul class="excerpts">
                        {d.excerpts.slice(0, MAX_EXCERPTS).map((e) => (
                          <li class="excerpt">{singleLine(e, MAX_EXCERPT_LENGTH)}</li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h4>{`Files (${review.files.length})`}</h4>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col" class="num">
                Size
              </th>
              <th scope="col">sha256</th>
            </tr>
          </thead>
          <tbody>
            {files.map((f) => (
              <tr>
                <th scope="row" class="excerpt">
                  {singleLine(f.name, 200)}
                </th>
                <td>{f.type ?? 'unknown'}</td>
                <td class="num">{f.size === null ? 'unknown' : formatByteSize(f.size)}</td>
                <td class="sha">{f.sha256 ?? 'not hashed'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {review.files.length > MAX_FILES && (
        <p>
          {`and ${review.files.length - MAX_FILES} more; `}
          <a href={props.ticketHref}>the ticket page lists them all</a>.
        </p>
      )}
      <dl class="facts">
        <dt>Destination</dt>
        <dd>{review.destination}</dd>
        <dt>Policy</dt>
        <dd>{review.policy}</dd>
        <dt>Rule</dt>
        <dd>{review.rule}</dd>
        <dt>Why</dt>
        <dd>
          {review.reasons.length === 0 ? (
            'no reason given'
          ) : (
            <ul class="plain">
              {review.reasons.map((r) => (
                <li>{r}</li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
    </>
  );
}
