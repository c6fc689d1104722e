// oclif's explicit command map (no directory scan at start-up).
import Validate from './validate.js';
import PlanCommand from './plan.js';
import Apply from './apply.js';
import DriftCheck from './drift-check.js';

export const COMMANDS = { validate: Validate, plan: PlanCommand, apply: Apply, 'drift-check': DriftCheck };
