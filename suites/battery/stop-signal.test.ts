import { batterySuite, expectStopTiming } from '../support/battery.js';

// Each variant re-declared with STOPSIGNAL SIGINT; the engine sends it on stop.
batterySuite('stop-signal', (o) => {
  expectStopTiming(o.observed.killed, o.evidence.timings);
});
