// The engine's entry points, for the commands and the tests (wiring only).
export { loadFile } from './load.js';
export { readLive } from './read.js';
export { interruptedApplyNote, makePlan, planChanges, planFile } from './plan.js';
export { applyFile, applyPlan, type ApplyHooks, type ApplyOutcome } from './apply.js';
export { restore } from './recover.js';
