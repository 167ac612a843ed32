import type { RequiredApprovals } from '../policy/evaluate-policy.js';

export interface Approver {
  name: string;
  groups: readonly string[];
}

/**
 * Whether a set of distinct approvers meets every requirement at once. Per requirement: enough approvers
 * who belong to one of its groups (anyone, when it names none); with `distinctGroups`, each group must
 * also be covered by a different person, which is a matching of people to groups.
 */
export function quorumMet(requirements: readonly RequiredApprovals[], approvers: readonly Approver[]): boolean {
  const people = dedupe(approvers);
  return requirements.every((r) => meets(r, people));
}

/** How many more approvals each requirement needs (0 when met), for showing progress. */
export function approvalsMissing(requirement: RequiredApprovals, approvers: readonly Approver[]): number {
  const eligible = eligibleFor(requirement, dedupe(approvers));
  return Math.max(0, requirement.count - eligible.length);
}

function meets(requirement: RequiredApprovals, people: readonly Approver[]): boolean {
  const eligible = eligibleFor(requirement, people);
  if (eligible.length < requirement.count) return false;
  return !requirement.distinctGroups || coversEveryGroup(requirement.groups, eligible);
}

function eligibleFor(requirement: RequiredApprovals, people: readonly Approver[]): Approver[] {
  if (requirement.groups.length === 0) return [...people];
  return people.filter((p) => p.groups.some((g) => requirement.groups.includes(g)));
}

/** One person counts once, however often they appear. */
function dedupe(approvers: readonly Approver[]): Approver[] {
  return [...new Map(approvers.map((a) => [a.name, a])).values()];
}

/** A different person for each group (Kuhn's augmenting paths; a handful of people and groups at most). */
function coversEveryGroup(groups: readonly string[], people: readonly Approver[]): boolean {
  const holder = new Map<string, number>(); // group → index of the person covering it
  const assign = (person: number, seen: Set<string>): boolean => {
    for (const group of people[person]!.groups) {
      if (!groups.includes(group) || seen.has(group)) continue;
      seen.add(group);
      const current = holder.get(group);
      if (current === undefined || assign(current, seen)) {
        holder.set(group, person);
        return true;
      }
    }
    return false;
  };
  for (let person = 0; person < people.length; person++) assign(person, new Set());
  return groups.every((g) => holder.has(g));
}
