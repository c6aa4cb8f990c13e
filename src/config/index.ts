/**
 * config: the validated configuration. In: environment variables and an optional JSON file
 * (TELLER_CONFIG). Out: one typed `TellerConfig` with the embedded defaults filled in, or a
 * ConfigError that names the offending key. It never reads anything after start-up.
 */
export { ConfigError, configSchema, envNames, loadConfig, type TellerConfig } from './config';
