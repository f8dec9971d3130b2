/** Progress and diagnostics go to stderr so stdout stays machine-readable. */
export type Logger = (message: string) => void;

export const stderrLogger: Logger = (message) => {
  process.stderr.write(`harness: ${message}\n`);
};

export const silentLogger: Logger = () => {};
