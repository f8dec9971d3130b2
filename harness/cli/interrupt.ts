/** Teardowns to run when the CLI is interrupted (Ctrl-C, SIGTERM) before exiting. */
export const interruptHandlers: (() => Promise<unknown>)[] = [];
