import { afterAll } from 'vitest';
import { deleteAllNetns } from '../helpers/netns.js';
afterAll(() => deleteAllNetns());
