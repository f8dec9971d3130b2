import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project root: one level above harness/. */
export const projectRoot = (): string => join(dirname(fileURLToPath(import.meta.url)), '..');
export const imagesDir = (): string => join(projectRoot(), 'images');
export const reportsDir = (): string => join(projectRoot(), 'reports');
