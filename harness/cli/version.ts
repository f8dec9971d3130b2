/** The harness's version, as `harness --version` prints it (kept equal to package.json's). */
export const VERSION = '0.1.0';
