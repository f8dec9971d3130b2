/**
 * The signals the signal-forwarding check sends, one container each. A module of its
 * own so the expected rows and the reports can name them without loading the engine.
 */
export const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'] as const;
