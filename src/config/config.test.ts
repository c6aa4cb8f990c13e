import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config';

describe('loadConfig', () => {
  it('fills the embedded defaults of DESIGN.md', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      httpPort: 8080,
      sipPort: 5060,
      rtpPortMin: 20000,
      rtpPortMax: 29999,
      smtpPort: 2525,
      dataDir: './data',
      logLevel: 'info',
      seedDemo: true,
    });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.sqlitePath).toBe(path.join('./data', 'teller.db'));
  });

  it('reads the environment variables', () => {
    const config = loadConfig({
      TELLER_HTTP_PORT: '9090',
      TELLER_SIP_PORT: '5070',
      TELLER_DATA_DIR: '/tmp/x',
      TELLER_DATABASE_URL: 'postgres://u@h/db',
      TELLER_LOG_LEVEL: 'warn',
    });
    expect(config).toMatchObject({
      httpPort: 9090,
      sipPort: 5070,
      dataDir: '/tmp/x',
      databaseUrl: 'postgres://u@h/db',
      logLevel: 'warn',
    });
  });

  it.each([
    ['TELLER_HTTP_PORT', 'eighty'],
    ['TELLER_HTTP_PORT', '70000'],
    ['TELLER_SIP_PORT', '-1'],
    ['TELLER_LOG_LEVEL', 'loud'],
    ['TELLER_DATABASE_URL', 'mysql://x'],
    ['TELLER_SEED_DEMO', 'maybe'],
  ])('names the key of a bad value: %s=%s', (key, value) => {
    const error = (() => {
      try {
        loadConfig({ [key]: value });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe(key);
    expect((error as ConfigError).message).toContain(value);
    expect((error as ConfigError).message.split('\n')).toHaveLength(1);
  });

  it('reads an optional JSON file, with the environment taking precedence', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'teller-config-'));
    const file = path.join(dir, 'teller.json');
    writeFileSync(file, JSON.stringify({ httpPort: 8181, sipPort: 5080 }));
    const config = loadConfig({ TELLER_CONFIG: file, TELLER_SIP_PORT: '5090' });
    expect(config.httpPort).toBe(8181);
    expect(config.sipPort).toBe(5090);
  });

  it('names the file key of a bad value in the file, and an unknown key', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'teller-config-'));
    const file = path.join(dir, 'teller.json');
    writeFileSync(file, JSON.stringify({ httpPort: 'x' }));
    expect(() => loadConfig({ TELLER_CONFIG: file })).toThrow(/teller\.json: httpPort/);
    writeFileSync(file, JSON.stringify({ colour: 'blue' }));
    expect(() => loadConfig({ TELLER_CONFIG: file })).toThrow(/colour/);
    writeFileSync(file, '{not json');
    expect(() => loadConfig({ TELLER_CONFIG: file })).toThrow(/TELLER_CONFIG: .* is not valid JSON/);
  });

  it('refuses an RTP range upside down', () => {
    expect(() => loadConfig({ TELLER_RTP_PORT_MIN: '30000', TELLER_RTP_PORT_MAX: '20000' })).toThrow(
      /TELLER_RTP_PORT_MIN/,
    );
  });
});
