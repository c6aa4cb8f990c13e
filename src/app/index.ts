/**
 * app: the composition root. In: a validated configuration. Out: a running Teller (HTTP,
 * and as later modules land, SIP, media and the rest) and the demo bank on first start.
 * It holds no rules of its own; it only wires modules together and tears them down.
 */
export { type DemoUser, demoPassword, demoUsers, seedDemoUsers } from './demo';
export { openCore, type StartOptions, startTeller, type Teller, type TellerCore } from './teller';
