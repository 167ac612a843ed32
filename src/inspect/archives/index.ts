export { CONTAINER_HEAD_BYTES, containerKindOf, type ContainerKind } from './container-kind.js';
export { OfficeTextTransform, createOfficeTextStream } from './office-text.js';
export { walkContainer, type WalkOptions, type WalkResult, type WalkSource } from './walk-container.js';
export { RATIO_GRACE_BYTES, type ArchiveLimits, type ArchiveMember, type SkippedMember } from './walk-context.js';
