/**
 * Harness processes a test file starts (the CLI, the example project's matchers) join
 * the run's slot server: their scenario containers wait their turn in the one bound on
 * the machine instead of loading it past what the suites' timings were judged under.
 */
import { inject } from 'vitest';
import { SHARED_SLOTS_ENV } from '../../harness/run/slots.js';

const { slots } = inject('harness');
process.env[SHARED_SLOTS_ENV] = `${slots.size}:${slots.path}`;
