#!/usr/bin/env node
// nethost entry point: oclif with an explicit command map, bundled in dist/.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
